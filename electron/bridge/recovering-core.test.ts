/** The core both shells hold: one that survives a failed start and recovers on a later call. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { AppError } from '../../shared/app-api/app-errors.ts';
import { createFakeCore, FAKE_STATUS } from '../../test-support/fake-core.ts';
import { testSecretStore } from '../../test-support/keychain.ts';
import type { AppOptions } from '../core/app-options.ts';
import { createKeyportCore } from '../core/keyport-core.ts';
import { createRecoveringCore } from './recovering-core.ts';

describe('createRecoveringCore', () => {
  it('answers every call with the startup error, then recovers on a later call', async () => {
    let now = 0;
    const fake = createFakeCore();
    const open = vi
      .fn<() => Promise<typeof fake.core>>()
      .mockRejectedValueOnce(new AppError('KEYCHAIN_UNAVAILABLE', 'No OS keychain answered. Unlock it.'))
      .mockResolvedValue(fake.core);
    const core = createRecoveringCore(open, { now: () => now });
    const seen = vi.fn();
    core.subscribe(seen);

    expect(await core.ready()).toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE' });
    await expect(core.getStatus()).rejects.toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE' });
    await expect(core.getLibrary()).rejects.toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE' });
    expect(open).toHaveBeenCalledTimes(1); // no retry storm within a second

    now += 1500;
    expect(await core.getStatus()).toEqual(FAKE_STATUS);
    expect(open).toHaveBeenCalledTimes(2);

    fake.emit({ name: 'library-changed', payload: { reason: 'sync' } });
    expect(seen).toHaveBeenCalledTimes(1);
    await core.close();
    expect(fake.listenerCount()).toBe(0);
  });

  it('keeps the 1 s limit when a burst of calls shares a retry that fails', async () => {
    let now = 0;
    const fake = createFakeCore();
    let failRetry: (error: unknown) => void = () => undefined;
    const open = vi
      .fn<() => Promise<typeof fake.core>>()
      .mockRejectedValueOnce(new AppError('KEYCHAIN_UNAVAILABLE', 'No OS keychain answered. Unlock it.'))
      .mockImplementationOnce(() => new Promise((_resolve, reject) => (failRetry = reject)))
      .mockResolvedValue(fake.core);
    const core = createRecoveringCore(open, { now: () => now });
    expect(await core.ready()).toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE' });

    now += 1500;
    const burst = [core.getStatus(), core.getLibrary(), core.listDevices()];
    expect(open).toHaveBeenCalledTimes(2); // one retry, shared by the whole burst
    failRetry(new AppError('KEYCHAIN_UNAVAILABLE', 'Still locked.'));
    for (const call of burst) await expect(call).rejects.toMatchObject({ message: 'Still locked.' });
    await expect(core.getStatus()).rejects.toMatchObject({ message: 'Still locked.' });
    expect(open).toHaveBeenCalledTimes(2); // no new attempt within a second of that failure

    now += 999;
    await expect(core.getStatus()).rejects.toMatchObject({ message: 'Still locked.' });
    expect(open).toHaveBeenCalledTimes(2);

    now += 1;
    expect(await core.getStatus()).toEqual(FAKE_STATUS);
    expect(open).toHaveBeenCalledTimes(3);
    await core.close();
  });

  it('shares one attempt between concurrent calls', async () => {
    const fake = createFakeCore();
    const open = vi.fn(async () => fake.core);
    const core = createRecoveringCore(open);
    await Promise.all([core.getStatus(), core.getLibrary(), core.browseCatalog({})]);
    expect(open).toHaveBeenCalledTimes(1);
    expect(await core.ready()).toBeNull();
  });

  it('says which process holds the profile, and opens it once that one closed (Try again)', async () => {
    const profileDir = await mkdtemp(path.join(tmpdir(), 'keyport-recovering-'));
    const appOptions: AppOptions = {
      providerUrl: 'http://127.0.0.1:9', // nobody listens: the app starts offline, which is enough
      profileDir,
      dataDir: profileDir,
      simulateDevice: 'desk',
      insecureSecretFile: false,
    };
    const secretStore = await testSecretStore(profileDir);
    const dependencies = { secretStore, syncIntervalMs: 0, retryDelays: [] };
    try {
      const cli = await createKeyportCore(appOptions, { ...dependencies, program: 'cli' });
      let now = 0;
      const core = createRecoveringCore(
        () => createKeyportCore(appOptions, { ...dependencies, program: 'app', profileLockWaitMs: 200 }),
        { now: () => now },
      );
      const refused = await core.ready();
      expect(refused).toMatchObject({
        code: 'PROFILE_IN_USE',
        message: expect.stringMatching(
          /is in use by the keyport command `keyport[^`]*` \(process \d+, since/,
        ),
      });
      await expect(core.getStatus()).rejects.toMatchObject({ code: 'PROFILE_IN_USE' });

      await cli.close();
      now += 1500;
      expect((await core.getStatus()).profileDir).toBe(profileDir);
      await core.close();
    } finally {
      await rm(profileDir, { recursive: true, force: true });
    }
  });
});
