/**
 * Issue 13 through the whole core against the real provider (in-process, real HTTP): a
 * machine after a hardware change is recognised and recovers its programs; a clone's
 * renewals are refused but its keys kept; a profile belongs to one device, one account and
 * one process at a time, and never loses a key to a local mismatch.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppOptions } from './app-options.ts';
import { createKeyportCore, type CoreDependencies, type KeyportCore } from './keyport-core.ts';
import type { IdentityReaders } from './device-identity.ts';
import { PROFILE_LOCK_FILE } from './profile-lock.ts';
import type { SecretStore } from './secret-store.ts';
import { startBackend, type Backend } from '../../test-support/backends.ts';
import { appErrorOf } from '../../test-support/app-error-of.ts';
import { testSecretStore } from '../../test-support/keychain.ts';
import { hardware, machine } from '../../test-support/machines.ts';

const DAY = 24 * 60 * 60 * 1000;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

interface Opened {
  core: KeyportCore;
  profileDir: string;
  secrets: SecretStore;
}

describe('device identity, recovery, clones and profiles, through the core', () => {
  let backend: Backend;
  const open: Opened[] = [];
  const profiles: string[] = [];

  beforeAll(async () => {
    backend = await startBackend();
    await backend.publishProgram('hello-free', { priceCents: 0, name: 'Hello Free' });
  });
  afterAll(() => backend?.close());
  afterEach(async () => {
    for (const { core } of open.splice(0)) await core.close();
    for (const dir of profiles.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function newProfile(label: string): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), `keyport-${label}-`));
    profiles.push(dir);
    return dir;
  }

  function options(profileDir: string, simulateDevice: string | null, providerUrl: string): AppOptions {
    return {
      providerUrl,
      profileDir,
      dataDir: profileDir,
      simulateDevice,
      insecureSecretFile: false,
    };
  }

  /** A core on `profileDir`, as one process would open it (closed after the test). */
  async function start(
    profileDir: string,
    device: { readers?: IdentityReaders; simulate?: string },
    dependencies: CoreDependencies = {},
    providerUrl = backend.url,
  ): Promise<Opened> {
    const secrets = await testSecretStore(profileDir);
    const core = await createKeyportCore(options(profileDir, device.simulate ?? null, providerUrl), {
      secretStore: secrets,
      syncIntervalMs: 0,
      retryDelays: [10],
      identityReaders: device.readers,
      ...dependencies,
    });
    const opened = { core, profileDir, secrets };
    open.push(opened);
    return opened;
  }

  async function close(opened: Opened): Promise<void> {
    open.splice(open.indexOf(opened), 1);
    await opened.core.close();
  }

  /** An account with one device on `profileDir` that bought and installed hello-free. */
  async function ownerWithProgram(
    profileDir: string,
    device: { readers?: IdentityReaders; simulate?: string },
    name: string,
  ) {
    const account = backend.newAccount();
    const a = await start(profileDir, device);
    await a.core.createAccount(account);
    await a.core.enrolDevice({ name });
    await a.core.buy({ softwareId: 'hello-free' });
    await a.core.install({ softwareId: 'hello-free' });
    return { account, a };
  }

  describe('a changed machine', () => {
    it('with one component changed is recognised on enrolment, and recovers its programs in one step', async () => {
      const desk = hardware();
      const { account, a } = await ownerWithProgram(
        await newProfile('desk'),
        { readers: machine(hex(16), desk) },
        'Desk PC',
      );
      const oldId = (await a.core.getStatus()).device.deviceId;

      // A reinstalled OS (a new machine-id) on the same board, with a new disk.
      const calls: Array<{ url: string; key: string | null }> = [];
      let dropped = false;
      const losesFirstRecoveryAnswer: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        const url = String(input);
        if (url.endsWith('/recover')) {
          calls.push({ url, key: new Headers(init?.headers).get('idempotency-key') });
          if (!dropped) {
            dropped = true;
            throw new TypeError('fetch failed'); // the answer is lost on the way back
          }
        }
        return response;
      };
      const b = await start(
        await newProfile('desk-new'),
        { readers: machine(hex(16), { ...desk, 'disk.serial': 'NEW-DISK-1' }) },
        { fetch: losesFirstRecoveryAnswer },
      );
      await b.core.signIn(account);
      const enrolled = await b.core.enrolDevice({ name: 'Desk PC (new)' });
      expect(enrolled.device.idSource).toBe('os');
      expect(enrolled.device.sources).toEqual([
        'os.machine-id',
        'system.uuid',
        'baseboard.serial',
        'disk.serial',
        'net.mac',
        'cpu.model',
      ]);
      expect(enrolled.device.recognisedAs).toMatchObject({
        deviceId: oldId,
        name: 'Desk PC',
        matchedComponents: 4,
        comparedComponents: 5,
        software: ['hello-free'],
      });

      const outcome = await b.core.recoverDevice({ fromDeviceId: oldId });
      expect(outcome.fromDeviceName).toBe('Desk PC');
      expect(outcome.recovery).toMatchObject({ fromDeviceId: oldId, toDeviceId: enrolled.device.deviceId });
      expect(outcome.recovery.copies.map((copy) => copy.softwareId)).toEqual(['hello-free']);
      // The lost answer was asked for again with the same key, and the move happened once.
      expect(calls).toHaveLength(2);
      expect(calls[0]!.key).toMatch(/\S/);
      expect(calls[1]!.key).toBe(calls[0]!.key);

      const status = await b.core.getStatus();
      expect(status.device.recognisedAs).toBeNull();
      expect((await b.core.listDevices()).map((d) => d.deviceId)).toEqual([enrolled.device.deviceId]);
      expect((await b.core.getLibrary()).map((item) => [item.softwareId, item.state])).toEqual([
        ['hello-free', 'ready-to-install'],
      ]);
      await b.core.install({ softwareId: 'hello-free' });
      expect((await b.core.run({ softwareId: 'hello-free' })).exitCode).toBe(0);
      // The old installation is told at its next launch.
      expect((await appErrorOf(a.core.run({ softwareId: 'hello-free' }))).code).toBe('COPY_MOVED');
    });

    it('with most components changed is a new device: nothing is offered', async () => {
      const desk = hardware();
      const { account } = await ownerWithProgram(
        await newProfile('desk'),
        { readers: machine(hex(16), desk) },
        'Desk PC',
      );
      const other = hardware();
      const b = await start(await newProfile('other'), {
        readers: machine(hex(16), {
          ...other,
          'system.uuid': desk['system.uuid'],
          'cpu.model': desk['cpu.model'],
        }),
      });
      await b.core.signIn(account);
      const status = await b.core.enrolDevice({ name: 'Laptop' });
      expect(status.device.recognisedAs).toBeNull();
      expect(status.device.enrolled).toBe(true);
    });
  });

  describe('a changed machine at the device limit', () => {
    let limited: Backend;
    beforeAll(async () => {
      limited = await startBackend({ deviceLimit: 2 });
      await limited.publishProgram('hello-free', { priceCents: 0, name: 'Hello Free' });
    });
    afterAll(() => limited?.close());

    it('is refused enrolment but recognised, and enrols by recovering the device it replaces', async () => {
      const account = limited.newAccount();
      const desk = hardware();
      const a = await start(await newProfile('desk'), { readers: machine(hex(16), desk) }, {}, limited.url);
      await a.core.createAccount(account);
      await a.core.enrolDevice({ name: 'Desk PC' });
      await a.core.buy({ softwareId: 'hello-free' });
      await a.core.install({ softwareId: 'hello-free' });
      const oldId = (await a.core.getStatus()).device.deviceId;
      const laptop = await start(
        await newProfile('laptop'),
        { readers: machine(hex(16), hardware()) },
        {},
        limited.url,
      );
      await laptop.core.signIn(account);
      await laptop.core.enrolDevice({ name: 'Laptop' });

      // The desk's OS is reinstalled: a new machine-id, the same hardware but a new disk.
      const b = await start(
        await newProfile('desk-reinstalled'),
        { readers: machine(hex(16), { ...desk, 'disk.serial': 'NEW-DISK-2' }) },
        {},
        limited.url,
      );
      await b.core.signIn(account);
      expect((await appErrorOf(b.core.enrolDevice({ name: 'Desk PC again' }))).code).toBe('DEVICE_LIMIT');
      const refused = await b.core.getStatus();
      expect(refused.device.enrolled).toBe(false);
      expect(refused.device.recognisedAs).toMatchObject({
        deviceId: oldId,
        name: 'Desk PC',
        software: ['hello-free'],
      });

      const outcome = await b.core.recoverDevice({ fromDeviceId: oldId });
      expect(outcome.fromDeviceName).toBe('Desk PC');
      expect(outcome.recovery).toMatchObject({ fromDeviceId: oldId, toDeviceId: refused.device.deviceId });
      const status = await b.core.getStatus();
      expect(status.device).toMatchObject({ enrolled: true, name: 'Desk PC again', recognisedAs: null });
      const devices = await b.core.listDevices();
      expect(devices.map((d) => d.name).sort()).toEqual(['Desk PC again', 'Laptop']);
      await b.core.install({ softwareId: 'hello-free' });
      expect((await b.core.run({ softwareId: 'hello-free' })).exitCode).toBe(0);
    });
  });

  it('a machine without an OS install ID gets a generated one: flagged, kept in the profile, the same on reopen', async () => {
    const profileDir = await newProfile('container');
    const container = machine(null, { 'cpu.model': 'Container CPU' });
    const first = await start(profileDir, { readers: container });
    const device = (await first.core.getStatus()).device;
    expect(device.idSource).toBe('generated');
    expect(device.sources).toEqual(['profile.install-id', 'cpu.model']);
    await close(first);
    const again = await start(profileDir, { readers: container });
    expect((await again.core.getStatus()).device.deviceId).toBe(device.deviceId);
  });

  it('two installations on one device ID: the device is flagged, and the later one’s renewals refused with its keys kept', async () => {
    // A cloned system: the same machine-id (so the same device ID) on other hardware (a
    // hypervisor gives the clone its own MAC); one machine with two keychains is no clone.
    const machineId = hex(16);
    const originalHardware = hardware();
    const twin = { readers: machine(machineId, originalHardware) };
    const cloneHardware = { ...originalHardware, 'net.mac': '3c:7c:3f:' + hex(3).match(/../g)!.join(':') };
    const everyLeaseLow = { leaseRefreshMarginMs: 40 * DAY };
    const { account, a } = await ownerWithProgram(await newProfile('original'), twin, 'Original');
    // The same device ID, but its own profile and so its own secret store.
    const b = await start(
      await newProfile('clone'),
      { readers: machine(machineId, cloneHardware) },
      everyLeaseLow,
    );
    await b.core.signIn(account);
    await b.core.enrolDevice({});
    await b.core.install({ softwareId: 'hello-free' });
    // The original renews: two installations alternate on one ID.
    const original = await start(a.profileDir, twin, everyLeaseLow).catch(() => null);
    expect(original).toBeNull(); // the original's own profile is held by its core: one writer
    await close(a);
    const renewing = await start(a.profileDir, twin, everyLeaseLow);
    expect((await renewing.core.sync()).refreshed).toEqual(['hello-free']);

    const keyBefore = await b.secrets.get('license:hello-free');
    const refused = await appErrorOf(b.core.sync());
    expect(refused.code).toBe('DEVICE_CLONED');
    expect(refused.message).toMatch(/also in use on another machine/);
    expect(await b.secrets.get('license:hello-free')).toBe(keyBefore);
    const item = (await b.core.getLibrary()).find((i) => i.softwareId === 'hello-free');
    expect(item).toMatchObject({ state: 'installed', problem: refused.message });
    // The lease still runs: the copy starts until it ends.
    expect((await b.core.run({ softwareId: 'hello-free' })).exitCode).toBe(0);
    const devices = await renewing.core.listDevices();
    expect(devices.find((d) => d.isThisDevice)?.flags).toEqual(['in-use-on-two-machines']);
  });

  describe('a profile', () => {
    it('opened as another device is refused, naming both, and nothing in it changes', async () => {
      const desk = `desk-${hex(4)}`;
      const profileDir = await newProfile('owned');
      const { a } = await ownerWithProgram(profileDir, { simulate: desk }, 'Desk');
      const deskId = (await a.core.getStatus()).device.deviceId;
      await close(a);
      const stateBefore = await readFile(path.join(profileDir, 'state.json'), 'utf8');
      const key = await a.secrets.get('license:hello-free');

      const laptop = `laptop-${hex(4)}`;
      const refused = await appErrorOf(start(profileDir, { simulate: laptop }));
      expect(refused.code).toBe('PROFILE_OF_ANOTHER_DEVICE');
      expect(refused.message).toMatch(
        new RegExp(
          `^This profile \\(${profileDir}\\) belongs to device ${deskId.slice(0, 12)} \\("${desk}"\\), ` +
            `but this is device [0-9a-f]{12} \\("${laptop}"\\)\\. Nothing in it was changed or deleted\\. ` +
            `Start Keyport with --simulate-device ${desk} to use it as that device, or give this device a profile of its own with --profile DIR\\.$`,
        ),
      );
      expect(await readFile(path.join(profileDir, 'state.json'), 'utf8')).toBe(stateBefore);
      expect(await a.secrets.get('license:hello-free')).toBe(key);

      // Its own device still opens it and runs the program; the refusal let go of the lock.
      const again = await start(profileDir, { simulate: desk });
      expect((await again.core.run({ softwareId: 'hello-free' })).exitCode).toBe(0);
    });

    it('belongs to the account first signed in on it', async () => {
      const profileDir = await newProfile('account');
      const mine = backend.newAccount();
      const theirs = backend.newAccount();
      const other = await start(await newProfile('theirs'), { simulate: `theirs-${hex(4)}` });
      await other.core.createAccount(theirs);

      const a = await start(profileDir, { simulate: `mine-${hex(4)}` });
      await a.core.createAccount(mine);
      await a.core.signOut();
      const refused = await appErrorOf(a.core.signIn(theirs));
      expect(refused).toMatchObject({
        code: 'PROFILE_OF_ANOTHER_ACCOUNT',
        message: `This profile (${profileDir}) belongs to the account ${mine.email}. Sign in with that account, or use another profile with --profile DIR.`,
      });
      expect((await appErrorOf(a.core.createAccount(backend.newAccount()))).code).toBe(
        'PROFILE_OF_ANOTHER_ACCOUNT',
      );
      expect((await a.core.getStatus()).user).toBeNull();
      expect((await a.core.signIn(mine)).user?.email).toBe(mine.email);
    });

    it('from before owners were recorded adopts the device and account it is opened with', async () => {
      const profileDir = await newProfile('older');
      const simulate = `older-${hex(4)}`;
      const a = await start(profileDir, { simulate });
      const account = backend.newAccount();
      await a.core.createAccount(account);
      await close(a);
      const file = path.join(profileDir, 'state.json');
      const { owner, ...older } = JSON.parse(await readFile(file, 'utf8'));
      expect(owner.account.email).toBe(account.email);
      await writeFile(file, JSON.stringify(older));

      await close(await start(profileDir, { simulate }));
      expect(JSON.parse(await readFile(file, 'utf8')).owner).toEqual(owner);
    });

    it('from before the device ID was read this way keeps keys issued to its old ID: a mismatch is no move', async () => {
      const profileDir = await newProfile('old-id');
      const oldName = `old-${hex(4)}`;
      const { a } = await ownerWithProgram(profileDir, { simulate: oldName }, 'Old ID');
      await close(a);
      // An older version's profile: no owner recorded, so it adopts the ID it is opened with.
      const file = path.join(profileDir, 'state.json');
      const { owner: _dropped, ...older } = JSON.parse(await readFile(file, 'utf8'));
      await writeFile(file, JSON.stringify(older));
      const key = await a.secrets.get('license:hello-free');

      const now = await start(profileDir, { simulate: `new-${hex(4)}` }, { leaseRefreshMarginMs: 40 * DAY });
      await now.core.enrolDevice({ name: 'New ID' });
      expect(await now.core.sync()).toEqual({ arrivals: [], departures: [], refreshed: [] });
      expect((await appErrorOf(now.core.run({ softwareId: 'hello-free' }))).code).toBe('DEVICE_MISMATCH');
      await now.core.getLibrary();
      expect(await a.secrets.get('license:hello-free')).toBe(key);
    });

    it('is written by one process at a time: a second core waits, is told who holds it, and nothing is lost', async () => {
      const profileDir = await newProfile('shared');
      const simulate = `shared-${hex(4)}`;
      const { a } = await ownerWithProgram(profileDir, { simulate }, 'Shared');
      const key = await a.secrets.get('license:hello-free');

      const began = Date.now();
      const refused = await appErrorOf(
        start(profileDir, { simulate }, { program: 'cli', profileLockWaitMs: 600 }),
      );
      expect(Date.now() - began).toBeGreaterThanOrEqual(600);
      expect(refused.code).toBe('PROFILE_IN_USE');
      expect(refused.message).toMatch(
        new RegExp(
          `in use by the Keyport app \\(process ${process.pid}, since \\d\\d:\\d\\d\\)\\. Close it first, or use another profile with --profile DIR\\.$`,
        ),
      );
      // The first core carries on, its copy and key untouched.
      expect((await a.core.run({ softwareId: 'hello-free' })).exitCode).toBe(0);
      expect(await a.secrets.get('license:hello-free')).toBe(key);

      // Closed, it lets go: the next one opens at once and sees the same profile.
      await close(a);
      const next = await start(profileDir, { simulate }, { program: 'cli', profileLockWaitMs: 0 });
      expect((await next.core.getLibrary()).map((item) => [item.softwareId, item.state])).toEqual([
        ['hello-free', 'installed'],
      ]);
    });

    it('held by a process that is gone is taken over', async () => {
      const profileDir = await newProfile('stale');
      const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
      const holder = {
        pid: Number(child.stdout.toString()),
        program: 'app',
        command: '',
        startedAt: new Date().toISOString(),
        nonce: 'crashed',
      };
      await writeFile(path.join(profileDir, PROFILE_LOCK_FILE), JSON.stringify(holder));
      const opened = await start(profileDir, { simulate: `stale-${hex(4)}` }, { profileLockWaitMs: 0 });
      expect((await opened.core.getStatus()).profileDir).toBe(profileDir);
    });
  });
});
