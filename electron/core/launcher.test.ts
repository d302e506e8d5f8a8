/**
 * The launch checks of S51–S54 (invariant 5), through the whole core against the real
 * provider: a copy is installed and licensed for real, then its key, its device, its
 * issuer or its clock is made wrong in one way at a time — and the program must not start.
 */
import { generateKeyPair, SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/app-api/app-errors.ts';
import { LICENSE_TYPE, type LicenseClaims, type ProviderKeys } from '../../shared/license/license.ts';
import { demoProgramSource } from '../../server/seed/demo.ts';
import type { CoreDependencies } from './core-parts.ts';
import { createKeyportCore, type KeyportCore } from './keyport-core.ts';
import { checkLaunch } from './launcher.ts';
import type { LocalCopy } from './local-state.ts';
import type { SecretStore } from './secret-store.ts';
import { testSecretStore } from '../../test-support/keychain.ts';
import { startProvider, type TestProvider } from '../../test-support/provider-harness.ts';
import { publishBuiltProgram } from '../../test-support/publish-program.ts';

// The demo program: it verifies its own license against the JWKS and issuer it ships.
const SOFTWARE = 'keyport-hello';
const NAME = 'Keyport Hello';
const DAY = 24 * 60 * 60 * 1000;

/** The real provider, in-process: its signer can sign what a provider under another name would. */
let provider: TestProvider;
let profileDir: string;
let deviceName: string;
let secrets: SecretStore;
let genuineKey: string;
const cores: KeyportCore[] = [];

/** The profile's core, as a fresh process would open it; one at a time holds the profile. */
async function open(simulateDevice: string, dependencies: CoreDependencies = {}): Promise<KeyportCore> {
  for (const previous of cores.splice(0)) await previous.close();
  const core = await createKeyportCore(
    { providerUrl: provider.url, profileDir, dataDir: profileDir, simulateDevice, insecureSecretFile: false },
    { secretStore: secrets, syncIntervalMs: 0, retryDelays: [10], ...dependencies },
  );
  cores.push(core);
  return core;
}

async function refusal(core: KeyportCore): Promise<AppError> {
  const runsBefore = await readdir(path.join(profileDir, 'logs', SOFTWARE)).catch(() => []);
  const error = await core.run({ softwareId: SOFTWARE }).then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`the launch was not refused: ${String(error)}`);
  // Refused before the program started: no new run log.
  const runsAfter = await readdir(path.join(profileDir, 'logs', SOFTWARE)).catch(() => []);
  expect(runsAfter.length).toBe(runsBefore.length);
  return error;
}

function segments(key: string): [Record<string, unknown>, Record<string, unknown>, string] {
  const [header, payload, signature] = key.split('.');
  const decode = (part: string | undefined) =>
    JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
  return [decode(header), decode(payload), signature ?? ''];
}
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const providerKeys = async () =>
  (await (await fetch(`${provider.url}/v1/licenses/jwks`)).json()) as ProviderKeys;

/** The key's claims signed with the provider's own signing key, but under another issuer. */
const underAnotherIssuer = (key: string) =>
  provider.app.keyport.signer.sign({ ...(segments(key)[1] as unknown as LicenseClaims), iss: 'evil-issuer' });

/** The check the launcher makes (offline: no provider involved) for the installed copy and `key`. */
function offlineCheck(key: string) {
  const [, payload] = segments(key);
  const copy: LocalCopy = {
    softwareId: SOFTWARE,
    copyId: payload.sub as string,
    name: NAME,
    status: 'active',
    authDeviceId: payload.dev as string,
    licenseExpiresAt: null,
    installed: { version: '1.0.0', installDir: '/nowhere', entry: 'main.mjs', installedAt: '' },
    movedAt: null,
  };
  return { softwareId: SOFTWARE, copy, licenseKey: key, currentDeviceId: payload.dev as string };
}

describe('launching an installed program (S51–S54)', () => {
  beforeAll(async () => {
    provider = await startProvider();
    await publishBuiltProgram(provider.url, provider.adminToken, {
      softwareId: SOFTWARE,
      name: NAME,
      summary: 'The demo program, for the launch checks',
      priceCents: 0,
      version: '1.0.0',
      source: demoProgramSource(SOFTWARE),
    });
    profileDir = await mkdtemp(path.join(tmpdir(), 'keyport-launch-'));
    secrets = await testSecretStore(profileDir);
    deviceName = `desk-${randomBytes(4).toString('hex')}`;
    const core = await open(deviceName);
    const tag = randomBytes(4).toString('hex');
    await core.createAccount({
      email: `launch-${tag}@example.test`,
      password: `pw-${randomBytes(8).toString('hex')}`,
      displayName: `User ${tag}`,
    });
    await core.enrolDevice({});
    await core.buy({ softwareId: SOFTWARE });
    await core.install({ softwareId: SOFTWARE });
    genuineKey = (await secrets.get(`license:${SOFTWARE}`))!;
  });
  afterAll(async () => {
    for (const core of cores) await core.close();
    await secrets?.delete(`license:${SOFTWARE}`);
    await secrets?.delete('session');
    await rm(profileDir, { recursive: true, force: true });
    await provider?.close();
  });

  it('runs a valid copy, which verifies its own license and prints its licensee', async () => {
    const core = await open(deviceName);
    const result = await core.run({ softwareId: SOFTWARE });
    expect(result.exitCode).toBe(0);
    expect(result.output).toMatch(/^Keyport Hello — licensed to \S+ on device [0-9a-f]{12} \(lease until/);
    expect(result.output).toContain('runs because this device holds its license');
  });

  it('refuses on another device (the profile copied to a different machine), keeping the key', async () => {
    // The profile itself refuses to open as another device, before anything in it is read.
    const opened = await open(`not-${deviceName}`).catch((e: unknown) => e);
    expect(opened).toMatchObject({ code: 'PROFILE_OF_ANOTHER_DEVICE' });
    expect(await secrets.get(`license:${SOFTWARE}`)).toBe(genuineKey);
    // And the launch check refuses a key stored for another device, whatever opened it.
    const [, payload] = segments(genuineKey);
    const check = { ...offlineCheck(genuineKey), jwks: await providerKeys(), now: new Date() };
    const error = await checkLaunch({ ...check, currentDeviceId: 'e'.repeat(64) }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'DEVICE_MISMATCH',
      message: expect.stringMatching(
        new RegExp(`licensed to device ${(payload.dev as string).slice(0, 12)}, but this is device e{12}`),
      ),
    });
  });

  it('refuses a key whose claims were tampered with', async () => {
    const [header, payload, signature] = segments(genuineKey);
    const longer = { ...payload, exp: (payload.exp as number) + 365 * 24 * 3600 };
    await secrets.set(`license:${SOFTWARE}`, `${encode(header)}.${encode(longer)}.${signature}`);
    try {
      const error = await refusal(await open(deviceName));
      expect(error.code).toBe('LICENSE_INVALID');
      expect(error.message).toMatch(/signature/);
    } finally {
      await secrets.set(`license:${SOFTWARE}`, genuineKey);
    }
  });

  it('refuses a key signed by another key, even one that claims the provider key ID', async () => {
    const [header, payload] = segments(genuineKey);
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    for (const kid of [header.kid as string, 'forged-key']) {
      const forged = await new SignJWT(payload)
        .setProtectedHeader({ alg: 'EdDSA', typ: LICENSE_TYPE, kid })
        .sign(privateKey);
      await secrets.set(`license:${SOFTWARE}`, forged);
      const error = await refusal(await open(deviceName));
      expect(error.code, kid).toBe('LICENSE_INVALID');
    }
    await secrets.set(`license:${SOFTWARE}`, genuineKey);
  });

  it('refuses an unsigned key (alg: none)', async () => {
    const [header, payload] = segments(genuineKey);
    await secrets.set(`license:${SOFTWARE}`, `${encode({ ...header, alg: 'none' })}.${encode(payload)}.`);
    try {
      const error = await refusal(await open(deviceName));
      expect(error.code).toBe('LICENSE_INVALID');
    } finally {
      await secrets.set(`license:${SOFTWARE}`, genuineKey);
    }
  });

  it('refuses a key whose lease has ended', async () => {
    const [, payload] = segments(genuineKey);
    const afterLease = new Date(((payload.exp as number) + 60) * 1000);
    // Straight to the check, as when offline: no provider to renew the lease.
    const check = { ...offlineCheck(genuineKey), jwks: await providerKeys() };
    const { copy } = check;
    await expect(checkLaunch({ ...check, now: new Date() })).resolves.toMatchObject({
      claims: { sw: SOFTWARE },
      licenseKey: check.licenseKey,
    });
    const error = await checkLaunch({ ...check, now: afterLease }).catch((e: unknown) => e as AppError);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toMatch(/lease has ended/);
    // Offline with no key at all (never licensed here): refused with what to do.
    const missing = await checkLaunch({ ...check, licenseKey: null, now: new Date() }).catch(
      (e) => e as AppError,
    );
    expect(missing).toMatchObject({ code: 'LICENSE_MISSING' });
    // And a key for another device fails the `dev` check even if the stored device matches.
    const otherDevice = {
      ...check,
      currentDeviceId: 'f'.repeat(64),
      copy: { ...copy, authDeviceId: 'f'.repeat(64) },
    };
    expect(((await checkLaunch({ ...otherDevice, now: new Date() }).catch((e) => e)) as AppError).code).toBe(
      'DEVICE_MISMATCH',
    );
  });

  describe('a key signed with the provider’s own key under another issuer (its data under --issuer evil-issuer)', () => {
    it('is refused by the offline check, in words (WRONG_ISSUER); the provider’s own issuer passes', async () => {
      const jwks = await providerKeys();
      expect(jwks.issuer).toBe('keyport');
      const evil = await underAnotherIssuer(genuineKey);
      const error = await checkLaunch({ ...offlineCheck(evil), jwks, now: new Date() }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({
        code: 'LICENSE_INVALID',
        message:
          `${NAME}'s license key does not come from this store (the license was issued by "evil-issuer", ` +
          'not by "keyport"). Install it again from your library.',
      });
      await expect(
        checkLaunch({ ...offlineCheck(genuineKey), jwks, now: new Date() }),
      ).resolves.toMatchObject({
        claims: { iss: 'keyport' },
      });
    });

    it('is refused at launch, before the program starts', async () => {
      await secrets.set(`license:${SOFTWARE}`, await underAnotherIssuer(genuineKey));
      try {
        const error = await refusal(await open(deviceName));
        expect(error.code).toBe('LICENSE_INVALID');
        expect(error.message).toContain('issued by "evil-issuer", not by "keyport"');
      } finally {
        await secrets.set(`license:${SOFTWARE}`, genuineKey);
      }
    });

    it('is not kept when the provider sends it online (a renewal), and the copy runs again once it does not', async () => {
      // What restarting the provider with `--issuer evil-issuer` changes: same data, same keys.
      const settings = provider.app.keyport.settings;
      const renewEveryLaunch = { leaseRefreshMarginMs: 40 * DAY }; // every lease counts as low
      settings.issuer = 'evil-issuer';
      try {
        const error = await refusal(await open(deviceName, renewEveryLaunch));
        expect(error.code).toBe('LICENSE_INVALID');
        expect(error.message).toContain('(the license was issued by "evil-issuer", not by "keyport")');
        expect(await secrets.get(`license:${SOFTWARE}`)).toBe(genuineKey);
      } finally {
        settings.issuer = 'keyport';
      }
      const result = await (await open(deviceName, renewEveryLaunch)).run({ softwareId: SOFTWARE });
      expect(result.exitCode).toBe(0);
      const renewed = (await secrets.get(`license:${SOFTWARE}`))!;
      expect(renewed).not.toBe(genuineKey);
      genuineKey = renewed;
    });

    it('cannot be told apart with keys cached before the JWKS named its issuer: offline, those refuse every key', async () => {
      const { keys } = await providerKeys();
      for (const key of [genuineKey, await underAnotherIssuer(genuineKey)]) {
        const error = await checkLaunch({ ...offlineCheck(key), jwks: { keys }, now: new Date() }).catch(
          (e: unknown) => e,
        );
        expect(error).toMatchObject({
          code: 'LICENSE_INVALID',
          message: expect.stringMatching(/from an older version .* Go online once\.$/),
        });
      }
    });
  });

  it('refuses a revoked copy: moved away, its renewal refused, its key removed', async () => {
    const core = await open(deviceName);
    const me = (await core.getStatus()).device.deviceId;
    const destProfile = await mkdtemp(path.join(tmpdir(), 'keyport-launch-dest-'));
    const destSecrets = await testSecretStore(destProfile);
    // The same account, signed in on a second device in its own profile.
    await destSecrets.set('session', (await secrets.get('session'))!);
    const destination = await createKeyportCore(
      {
        providerUrl: provider.url,
        profileDir: destProfile,
        dataDir: destProfile,
        simulateDevice: `dest-${randomBytes(4).toString('hex')}`,
        insecureSecretFile: false,
      },
      { secretStore: destSecrets, syncIntervalMs: 0 },
    );
    try {
      await destination.enrolDevice({});
      await destination.transfer({
        softwareId: SOFTWARE,
        sourceDeviceId: me,
        destinationDeviceId: (await destination.getStatus()).device.deviceId,
      });
      const error = await refusal(core);
      expect(error.code).toBe('COPY_MOVED');
      expect(await secrets.get(`license:${SOFTWARE}`)).toBeNull();
    } finally {
      await destination.close();
      await destSecrets.delete('session');
      await rm(destProfile, { recursive: true, force: true });
    }
  });
});
