/** The core both shells hold: one that survives a failed start and recovers on a later call. */
import { describe, expect, it, vi } from 'vitest';
import { AppError } from '../../shared/app-api/app-errors.ts';
import { createFakeCore, FAKE_STATUS } from '../../test-support/fake-core.ts';
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
});
