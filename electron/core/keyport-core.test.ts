/**
 * The core end to end — real HTTP, real packages, real keychain, real programs —
 * against the real provider and against the MSW mock. Every test runs on both, so the
 * mock cannot drift from the provider without a failure here.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent, InstallProgress } from '../../shared/app-api/app-api.ts';
import { createKeyportCore, type CoreDependencies, type KeyportCore } from './keyport-core.ts';
import { startBackend, type Backend } from '../../test-support/backends.ts';
import { appErrorOf } from '../../test-support/app-error-of.ts';
import { testSecretStore } from '../../test-support/keychain.ts';

interface TestDevice {
  core: KeyportCore;
  profileDir: string;
  name: string;
  events: AppEvent[];
}

describe('the core against the provider', () => {
  let backend: Backend;
  const devices: TestDevice[] = [];

  beforeAll(async () => {
    backend = await startBackend();
    await backend.publishProgram('hello-free', { priceCents: 0, name: 'Hello Free' });
    await backend.publishProgram('hello-paid', { priceCents: 499, name: 'Hello Paid' });
  });
  afterAll(() => backend?.close());
  afterEach(async () => {
    for (const device of devices.splice(0)) {
      await device.core.close();
      await rm(device.profileDir, { recursive: true, force: true });
    }
  });

  async function device(label: string, dependencies: CoreDependencies = {}): Promise<TestDevice> {
    const profileDir = await mkdtemp(path.join(tmpdir(), `keyport-${label}-`));
    const name = `${label}-${randomBytes(4).toString('hex')}`;
    const core = await createKeyportCore(
      {
        providerUrl: backend.url,
        profileDir,
        dataDir: profileDir,
        simulateDevice: name,
        insecureSecretFile: false,
      },
      {
        secretStore: await testSecretStore(profileDir),
        syncIntervalMs: 0,
        retryDelays: [10],
        ...dependencies,
      },
    );
    const events: AppEvent[] = [];
    core.subscribe((event) => events.push(event));
    const made = { core, profileDir, name, events };
    devices.push(made);
    return made;
  }

  /** A user with one enrolled device (A) and, if asked, a second one (B). */
  async function owner(withSecond = false) {
    const account = backend.newAccount();
    const a = await device('a');
    await a.core.createAccount(account);
    await a.core.enrolDevice({ name: 'Laptop A' });
    if (!withSecond) return { account, a, b: null };
    const b = await device('b');
    await b.core.signIn({ email: account.email, password: account.password });
    await b.core.enrolDevice({ name: 'Laptop B' });
    return { account, a, b };
  }

  it('buys, installs with progress, and runs the program with its license', async () => {
    const { account, a } = await owner();
    const status = await a.core.getStatus();
    expect(status.user?.email).toBe(account.email);
    expect(status.device.enrolled).toBe(true);
    expect(status.online).toBe(true);

    const purchase = await a.core.buy({ softwareId: 'hello-paid' });
    expect(purchase).toMatchObject({
      softwareId: 'hello-paid',
      priceCents: 499,
      deviceId: status.device.deviceId,
    });
    expect((await a.core.getLibrary()).map((item) => [item.softwareId, item.state])).toEqual([
      ['hello-paid', 'ready-to-install'],
    ]);

    const item = await a.core.install({ softwareId: 'hello-paid' });
    expect(item).toMatchObject({ state: 'installed', name: 'Hello Paid', installed: { version: '1.0.0' } });
    const phases = a.events
      .filter((e): e is Extract<AppEvent, { name: 'install-progress' }> => e.name === 'install-progress')
      .map((e) => e.payload);
    const order = [...new Set(phases.map((p: InstallProgress) => p.phase))];
    expect(order).toEqual(['downloading', 'installing', 'licensing', 'done']);
    const last = phases.at(-1)!;
    expect(last.receivedBytes).toBeGreaterThan(0);
    expect(last.receivedBytes).toBe(last.totalBytes);

    const run = await a.core.run({ softwareId: 'hello-paid' });
    expect(run.exitCode).toBe(0);
    expect(run.output).toContain(`Hello Paid — licensed to ${(await a.core.getStatus()).user!.userId}`);
    expect(run.output).toContain(`on device ${status.device.shortId}`);
    expect(await readFile(run.logPath, 'utf8')).toContain('exited with code 0');
    const log = await a.core.readRunLog({ softwareId: 'hello-paid' });
    expect(log).toMatchObject({ logPath: run.logPath, truncated: false });
    expect(log!.text).toContain('Hello Paid — licensed to');
    expect(await a.core.readRunLog({ softwareId: 'hello-free' })).toBeNull();

    // The key is a secret: in the secret store, never in the profile's state file.
    const state = await readFile(path.join(a.profileDir, 'state.json'), 'utf8');
    expect(state).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
    expect(state).toContain(status.device.deviceId); // the authentication information is
    // The downloaded archive is not left lying around.
    expect(await readdir(path.join(a.profileDir, 'downloads', 'hello-paid'))).toEqual([]);
  });

  it('retires a device only once nothing is registered to it', async () => {
    const { a, b } = await owner(true);
    const bId = (await b!.core.getStatus()).device.deviceId;
    await b!.core.buy({ softwareId: 'hello-free' });
    const refused = await appErrorOf(a.core.retireDevice({ deviceId: bId }));
    expect(refused.code).toBe('DEVICE_HAS_SOFTWARE');
    expect(refused.message).toMatch(/Transfer it away first/);

    const aId = (await a.core.getStatus()).device.deviceId;
    await b!.core.transfer({ softwareId: 'hello-free', sourceDeviceId: bId, destinationDeviceId: aId });
    const left = await a.core.retireDevice({ deviceId: bId });
    expect(left.map((d) => d.deviceId)).toEqual([aId]);
    // B learns it is no longer enrolled the next time it asks.
    await b!.core.listDevices();
    expect((await b!.core.getStatus()).device.enrolled).toBe(false);
  });

  it('moves a copy: the source stops at once, the destination installs and runs it', async () => {
    const { a, b } = await owner(true);
    const aStatus = await a.core.getStatus();
    const bStatus = await b!.core.getStatus();
    await a.core.buy({ softwareId: 'hello-paid' });
    await a.core.install({ softwareId: 'hello-paid' });
    expect((await a.core.run({ softwareId: 'hello-paid' })).exitCode).toBe(0);

    const outcome = await a.core.transfer({
      softwareId: 'hello-paid',
      sourceDeviceId: aStatus.device.deviceId,
      destinationDeviceId: bStatus.device.deviceId,
    });
    expect(outcome.leftThisDevice).toBe(true);
    const refused = await appErrorOf(a.core.run({ softwareId: 'hello-paid' }));
    expect(refused.code).toBe('COPY_MOVED');
    expect(refused.message).toMatch(/moved to another of your devices/);
    const onA = (await a.core.getLibrary()).find((item) => item.softwareId === 'hello-paid');
    expect(onA).toMatchObject({ state: 'moved', registeredDeviceName: 'Laptop B' });

    const report = await b!.core.sync();
    expect(report.arrivals).toEqual(['hello-paid']);
    expect((await b!.core.getLibrary()).find((i) => i.softwareId === 'hello-paid')?.state).toBe(
      'ready-to-install',
    );
    await b!.core.install({ softwareId: 'hello-paid' });
    const run = await b!.core.run({ softwareId: 'hello-paid' });
    expect(run.exitCode).toBe(0);
    expect(run.output).toContain(`on device ${bStatus.device.shortId}`);
  });

  it('a copy moved away from another device stops here at the next launch while online', async () => {
    const { a, b } = await owner(true);
    await a.core.buy({ softwareId: 'hello-free' });
    await a.core.install({ softwareId: 'hello-free' });
    // B sees it, by name, on A.
    expect((await b!.core.getLibrary())[0]).toMatchObject({
      softwareId: 'hello-free',
      name: 'Hello Free',
      summary: 'Hello Free, for tests',
      state: 'elsewhere',
      registeredDeviceName: 'Laptop A',
    });
    // B pulls the copy over; A has not heard about it yet.
    await b!.core.transfer({
      softwareId: 'hello-free',
      sourceDeviceId: (await a.core.getStatus()).device.deviceId,
      destinationDeviceId: (await b!.core.getStatus()).device.deviceId,
    });
    expect((await appErrorOf(a.core.run({ softwareId: 'hello-free' }))).code).toBe('COPY_MOVED');
  });

  it('sync renews a low lease, and a refused renewal removes the key and marks the copy moved', async () => {
    const soon = { leaseRefreshMarginMs: 40 * 24 * 60 * 60 * 1000 }; // every lease counts as low
    const account = backend.newAccount();
    const a = await device('a', soon);
    await a.core.createAccount(account);
    await a.core.enrolDevice({});
    const b = await device('b');
    await b.core.signIn(account);
    await b.core.enrolDevice({});
    await a.core.buy({ softwareId: 'hello-free' });
    await a.core.install({ softwareId: 'hello-free' });
    expect((await a.core.sync()).refreshed).toEqual(['hello-free']);

    // The other device moves it away (the provider now refuses A's refresh), then A syncs.
    await b.core.transfer({
      softwareId: 'hello-free',
      sourceDeviceId: (await a.core.getStatus()).device.deviceId,
      destinationDeviceId: (await b.core.getStatus()).device.deviceId,
    });
    const report = await a.core.sync();
    expect(report.departures).toEqual(['hello-free']);
    const item = (await a.core.getLibrary()).find((i) => i.softwareId === 'hello-free');
    expect(item).toMatchObject({ state: 'moved', licenseExpiresAt: null });
    expect(a.events.some((e) => e.name === 'library-changed')).toBe(true);
  });

  it('uninstall removes the program folder and its key', async () => {
    const { a } = await owner();
    await a.core.buy({ softwareId: 'hello-free' });
    const item = await a.core.install({ softwareId: 'hello-free' });
    const installDir = item.installed!.installDir;
    expect((await stat(installDir)).isDirectory()).toBe(true);
    const after = await a.core.uninstall({ softwareId: 'hello-free' });
    expect(after.installed).toBeNull();
    await expect(stat(installDir)).rejects.toThrow();
    expect((await a.core.getLibrary())[0]?.state).toBe('ready-to-install');
    expect((await appErrorOf(a.core.run({ softwareId: 'hello-free' }))).code).toBe('NOT_INSTALLED');
  });

  it('turns problems into typed errors with sentences a person can act on', async () => {
    const account = backend.newAccount();
    const a = await device('a');
    expect((await appErrorOf(a.core.buy({ softwareId: 'hello-free' }))).code).toBe('NOT_SIGNED_IN');
    await a.core.createAccount(account);
    const notEnrolled = await appErrorOf(a.core.buy({ softwareId: 'hello-free' }));
    expect(notEnrolled.code).toBe('NOT_ENROLLED');
    expect(notEnrolled.message).toMatch(/Enrol this device/);
    await a.core.enrolDevice({});
    expect((await appErrorOf(a.core.buy({ softwareId: 'no-such-program' }))).code).toBe('NOT_FOUND');
    await a.core.buy({ softwareId: 'hello-free' });
    const twice = await appErrorOf(a.core.buy({ softwareId: 'hello-free' }));
    expect(twice.code).toBe('ALREADY_REGISTERED');
    expect(twice.message).toMatch(/already own/);
    expect((await appErrorOf(a.core.install({ softwareId: 'hello-paid' }))).code).toBe('NOT_REGISTERED');

    const other = await device('other');
    const wrong = await appErrorOf(other.core.signIn({ email: account.email, password: 'not-the-password' }));
    expect(wrong.code).toBe('BAD_CREDENTIALS');
    expect(wrong.message).toMatch(/do not match/);
  });

  it('says the store is unreachable, in a sentence, when it is', async () => {
    const account = backend.newAccount();
    const a = await device('a');
    await a.core.createAccount(account);
    const offlineProfile = await mkdtemp(path.join(tmpdir(), 'keyport-offline-'));
    const unreachable = await createKeyportCore(
      {
        providerUrl: 'http://127.0.0.1:9',
        profileDir: offlineProfile,
        dataDir: offlineProfile,
        simulateDevice: 'x',
        insecureSecretFile: false,
      },
      { secretStore: await testSecretStore(offlineProfile), syncIntervalMs: 0, retryDelays: [5] },
    );
    const error = await appErrorOf(unreachable.signIn(account));
    expect(error.code).toBe('OFFLINE');
    expect(error.message).toMatch(/cannot reach the store/);
    expect((await unreachable.getStatus()).online).toBe(false);
    await unreachable.close();
    await rm(offlineProfile, { recursive: true, force: true });
  });
});
