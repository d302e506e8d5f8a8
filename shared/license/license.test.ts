/**
 * The license-key verifier (shared/license.ts): real keys from the provider's
 * LicenseSigner verify; anything tampered with, signed by another key, signed with
 * another algorithm, expired, or issued for another device, program or provider is
 * refused with the reason that says which check failed.
 */
import { mkdtemp, rm, stat, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LicenseSigner } from '../../server/lib/license-signer.ts';
import {
  LICENSE_TYPE,
  LicenseInvalidError,
  shortDeviceId,
  verifyLicense,
  verifyProviderLicense,
  type LicenseClaims,
  type LicenseFailure,
  type ProviderKeys,
} from './license.ts';

const DEVICE = randomBytes(32).toString('hex');
const OTHER_DEVICE = randomBytes(32).toString('hex');
const NOW = new Date('2030-01-01T00:00:00Z');
const IAT = Math.floor(NOW.getTime() / 1000);

function claims(overrides: Partial<LicenseClaims> = {}): LicenseClaims {
  return {
    iss: 'keyport',
    sub: 'cpy_copy',
    sw: 'photo-studio',
    usr: 'usr_user',
    dev: DEVICE,
    iat: IAT,
    exp: IAT + 3600,
    jti: 'lic_one',
    ...overrides,
  };
}

interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function ed25519(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return { kid, privateKey, publicJwk };
}

/** Sign a payload as the provider would (or, with `header`, as an attacker would). */
function sign(
  key: TestKey,
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: LICENSE_TYPE, ...header } as never)
    .sign(key.privateKey);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function reasonOf(promise: Promise<unknown>): Promise<LicenseFailure | 'ACCEPTED'> {
  try {
    await promise;
    return 'ACCEPTED';
  } catch (error) {
    expect(error).toBeInstanceOf(LicenseInvalidError);
    expect((error as Error).message).not.toBe('');
    return (error as LicenseInvalidError).reason;
  }
}

let key: TestKey;
let jwks: JSONWebKeySet;

beforeAll(async () => {
  key = await ed25519('provider-key');
  jwks = { keys: [key.publicJwk] };
});

describe('verifyLicense with crafted tokens', () => {
  it('accepts a valid token and returns its claims', async () => {
    const token = await sign(key, { ...claims() });
    const result = await verifyLicense(token, jwks, {
      softwareId: 'photo-studio',
      deviceId: DEVICE,
      issuer: 'keyport',
      now: NOW,
    });
    expect(result).toEqual(claims());
  });

  it('refuses a tampered payload as BAD_SIGNATURE', async () => {
    const token = await sign(key, { ...claims() });
    const [header, , signature] = token.split('.');
    const forged = `${header}.${b64(claims({ dev: OTHER_DEVICE }))}.${signature}`;
    expect(await reasonOf(verifyLicense(forged, jwks, { now: NOW }))).toBe('BAD_SIGNATURE');
    // Also with the exp pushed out (the obvious thing to tamper with).
    const extended = `${header}.${b64(claims({ exp: IAT + 10 * 365 * 86400 }))}.${signature}`;
    expect(await reasonOf(verifyLicense(extended, jwks, { now: NOW }))).toBe('BAD_SIGNATURE');
  });

  it('refuses a flipped signature byte as BAD_SIGNATURE', async () => {
    const token = await sign(key, { ...claims() });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const bytes = Buffer.from(signature, 'base64url');
    bytes[0] = bytes[0]! ^ 0xff;
    const forged = `${header}.${payload}.${bytes.toString('base64url')}`;
    expect(await reasonOf(verifyLicense(forged, jwks, { now: NOW }))).toBe('BAD_SIGNATURE');
  });

  it('refuses a token signed by another Ed25519 key with the same kid as BAD_SIGNATURE', async () => {
    const impostor = await ed25519(key.kid);
    const token = await sign(impostor, { ...claims() });
    expect(await reasonOf(verifyLicense(token, jwks, { now: NOW }))).toBe('BAD_SIGNATURE');
  });

  it('refuses a token signed by a key with an unknown kid as UNKNOWN_KEY', async () => {
    const stranger = await ed25519('someone-else');
    const token = await sign(stranger, { ...claims() });
    expect(await reasonOf(verifyLicense(token, jwks, { now: NOW }))).toBe('UNKNOWN_KEY');
  });

  it('refuses an unsigned alg:none token', async () => {
    for (const alg of ['none', 'None', 'NONE']) {
      const token = `${b64({ alg, kid: key.kid, typ: LICENSE_TYPE })}.${b64(claims())}.`;
      const reason = await reasonOf(verifyLicense(token, jwks, { now: NOW }));
      expect(reason, alg).not.toBe('ACCEPTED');
      expect(reason).toBe('BAD_SIGNATURE');
    }
  });

  it('refuses an HS256 token keyed with the public key (algorithm confusion)', async () => {
    const secrets = [
      Buffer.from(key.publicJwk.x!, 'base64url'),
      Buffer.from(key.publicJwk.x!),
      Buffer.from(JSON.stringify(key.publicJwk)),
    ];
    for (const secret of secrets) {
      const token = await new SignJWT({ ...claims() })
        .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: LICENSE_TYPE })
        .sign(new Uint8Array(secret));
      const reason = await reasonOf(verifyLicense(token, jwks, { now: NOW }));
      expect(reason).not.toBe('ACCEPTED');
      expect(reason).toBe('BAD_SIGNATURE');
    }
  });

  it('refuses an expired lease as EXPIRED, to the second', async () => {
    const token = await sign(key, { ...claims() });
    const exp = claims().exp;
    await expect(verifyLicense(token, jwks, { now: new Date((exp - 1) * 1000) })).resolves.toMatchObject({
      exp,
    });
    expect(await reasonOf(verifyLicense(token, jwks, { now: new Date(exp * 1000) }))).toBe('EXPIRED');
    expect(await reasonOf(verifyLicense(token, jwks, { now: new Date((exp + 86400) * 1000) }))).toBe(
      'EXPIRED',
    );
    // Without an explicit clock the verifier uses the real one: a lease that ended in 2001 is expired.
    const old = await sign(key, { ...claims({ iat: 978307200, exp: 978310800 }) });
    expect(await reasonOf(verifyLicense(old, jwks))).toBe('EXPIRED');
  });

  it('refuses a license for another device as WRONG_DEVICE', async () => {
    const token = await sign(key, { ...claims() });
    expect(await reasonOf(verifyLicense(token, jwks, { deviceId: OTHER_DEVICE, now: NOW }))).toBe(
      'WRONG_DEVICE',
    );
  });

  it('refuses a license for another program as WRONG_SOFTWARE', async () => {
    const token = await sign(key, { ...claims() });
    expect(await reasonOf(verifyLicense(token, jwks, { softwareId: 'other-app', now: NOW }))).toBe(
      'WRONG_SOFTWARE',
    );
  });

  it('refuses a license from another issuer as WRONG_ISSUER', async () => {
    const token = await sign(key, { ...claims({ iss: 'evil-provider' }) });
    expect(await reasonOf(verifyLicense(token, jwks, { issuer: 'keyport', now: NOW }))).toBe('WRONG_ISSUER');
  });

  it('names both issuers when it refuses a license from another one', async () => {
    const token = await sign(key, { ...claims({ iss: 'evil-issuer' }) });
    await expect(verifyLicense(token, jwks, { issuer: 'keyport', now: NOW })).rejects.toThrow(
      'the license was issued by "evil-issuer", not by "keyport"',
    );
  });

  it.each(['iss', 'sub', 'sw', 'usr', 'dev', 'jti', 'iat', 'exp'] as const)(
    'refuses a license without "%s" as MALFORMED',
    async (claim) => {
      const payload: Record<string, unknown> = { ...claims() };
      delete payload[claim];
      const token = await sign(key, payload);
      expect(await reasonOf(verifyLicense(token, jwks, { now: NOW }))).toBe('MALFORMED');
    },
  );

  it.each([
    ['dev', 42],
    ['sw', ''],
    ['usr', null],
    ['sub', { id: 'x' }],
    ['iat', String(IAT)],
    ['exp', String(IAT + 3600)],
  ] as const)('refuses a license whose "%s" is %j as MALFORMED', async (claim, value) => {
    const token = await sign(key, { ...claims(), [claim]: value });
    expect(await reasonOf(verifyLicense(token, jwks, { now: NOW }))).toBe('MALFORMED');
  });

  it('refuses a token that is not a license (other typ) and garbage', async () => {
    const idToken = await sign(key, { ...claims() }, { typ: 'JWT' });
    expect(await reasonOf(verifyLicense(idToken, jwks, { now: NOW }))).toBe('MALFORMED');
    for (const garbage of ['', 'not-a-token', 'a.b.c', 'a.b', `${b64({ alg: 'EdDSA' })}.e30`]) {
      expect(await reasonOf(verifyLicense(garbage, jwks, { now: NOW })), garbage).toBe('MALFORMED');
    }
  });

  it('refuses everything against an empty JWKS', async () => {
    const token = await sign(key, { ...claims() });
    expect(await reasonOf(verifyLicense(token, { keys: [] }, { now: NOW }))).toBe('UNKNOWN_KEY');
  });

  it('shortens device IDs to 12 characters', () => {
    expect(shortDeviceId(DEVICE)).toBe(DEVICE.slice(0, 12));
    expect(shortDeviceId(DEVICE)).toHaveLength(12);
  });
});

describe('verifyProviderLicense: the provider’s keys and its issuer together', () => {
  const provider = (): ProviderKeys => ({ issuer: 'keyport', ...jwks });

  it('accepts a key with the provider’s issuer', async () => {
    const token = await sign(key, { ...claims() });
    await expect(
      verifyProviderLicense(token, provider(), { softwareId: 'photo-studio', deviceId: DEVICE, now: NOW }),
    ).resolves.toEqual(claims());
  });

  it('refuses a key with another issuer, and one with none, whatever the other options', async () => {
    const evil = await sign(key, { ...claims({ iss: 'evil-issuer' }) });
    expect(await reasonOf(verifyProviderLicense(evil, provider(), { now: NOW }))).toBe('WRONG_ISSUER');
    const none: Record<string, unknown> = { ...claims() };
    delete none.iss;
    expect(await reasonOf(verifyProviderLicense(await sign(key, none), provider(), { now: NOW }))).toBe(
      'MALFORMED',
    );
  });

  it('refuses every key against keys that name no issuer (an old jwks.json), rather than any issuer', async () => {
    const token = await sign(key, { ...claims() });
    for (const issuer of [undefined, '']) {
      const keys = { ...jwks, issuer } as ProviderKeys;
      expect(await reasonOf(verifyProviderLicense(token, keys, { now: NOW })), String(issuer)).toBe(
        'WRONG_ISSUER',
      );
    }
    // And forgetting the issuer does not compile.
    // @ts-expect-error the issuer is required
    expect(await reasonOf(verifyProviderLicense(token, jwks, { now: NOW }))).toBe('WRONG_ISSUER');
  });
});

describe('verifyLicense with keys from the provider’s LicenseSigner', () => {
  let dir: string;
  let signer: LicenseSigner;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keyport-signer-'));
    signer = await LicenseSigner.open(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('verifies a real license key against the signer’s JWKS', async () => {
    const token = await signer.sign(claims());
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as Record<
      string,
      string
    >;
    expect(header).toEqual({ alg: 'EdDSA', kid: signer.activeKid, typ: LICENSE_TYPE });
    const verified = await verifyLicense(token, signer.jwks, {
      softwareId: 'photo-studio',
      deviceId: DEVICE,
      issuer: 'keyport',
      now: NOW,
    });
    expect(verified).toEqual(claims());
  });

  it('publishes only public key material, and keeps the private key file 0600', async () => {
    for (const jwk of signer.jwks.keys) {
      expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    }
    const files = (await readdir(dir)).filter((name) => name.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect((await stat(path.join(dir, file))).mode & 0o777).toBe(0o600);
  });

  it('refuses a real key whose iss is not the provider’s own (the same keys under another --issuer)', async () => {
    const token = await signer.sign(claims({ iss: 'evil-issuer' }));
    const provider = { issuer: 'keyport', ...signer.jwks };
    expect(await reasonOf(verifyProviderLicense(token, provider, { now: NOW }))).toBe('WRONG_ISSUER');
    await expect(verifyProviderLicense(await signer.sign(claims()), provider, { now: NOW })).resolves.toEqual(
      claims(),
    );
  });

  it('refuses a real key checked against another provider’s JWKS as UNKNOWN_KEY', async () => {
    const token = await signer.sign(claims());
    expect(await reasonOf(verifyLicense(token, jwks, { now: NOW }))).toBe('UNKNOWN_KEY');
  });

  it('keeps verifying keys signed before a rotation', async () => {
    const before = await signer.sign(claims({ jti: 'lic_before' }));
    const rotated = await LicenseSigner.open(dir, { rotate: true });
    const after = await rotated.sign(claims({ jti: 'lic_after' }));
    expect(rotated.activeKid).not.toBe(signer.activeKid);
    expect(rotated.jwks.keys.map((k) => k.kid)).toContain(signer.activeKid);
    expect(rotated.jwks.keys.length).toBeGreaterThanOrEqual(2);
    await expect(verifyLicense(before, rotated.jwks, { now: NOW })).resolves.toMatchObject({
      jti: 'lic_before',
    });
    await expect(verifyLicense(after, rotated.jwks, { now: NOW })).resolves.toMatchObject({
      jti: 'lic_after',
    });
    // A reopened signer (a restarted provider) signs with the same, newest key.
    const reopened = await LicenseSigner.open(dir);
    expect(reopened.jwks.keys.map((k) => k.kid).sort()).toEqual(rotated.jwks.keys.map((k) => k.kid).sort());
    expect(reopened.activeKid).toBe(rotated.activeKid);
  });
});
