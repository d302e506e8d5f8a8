/** The client both shells hold: one that survives a failed start and recovers on a later call. */
import { describe, expect, it, vi } from 'vitest';
import { ClientError } from '../../shared/client-errors.ts';
import { createFakeClient, FAKE_STATUS } from '../../test-support/fake-client.ts';
import { createRecoveringClient } from './recovering-client.ts';

describe('createRecoveringClient', () => {
  it('answers every call with the startup error, then recovers on a later call', async () => {
    let now = 0;
    const fake = createFakeClient();
    const open = vi
      .fn<() => Promise<typeof fake.client>>()
      .mockRejectedValueOnce(new ClientError('KEYCHAIN_UNAVAILABLE', 'No OS keychain answered. Unlock it.'))
      .mockResolvedValue(fake.client);
    const client = createRecoveringClient(open, { now: () => now });
    const seen = vi.fn();
    client.subscribe(seen);

    expect(await client.ready()).toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE' });
    await expect(client.getStatus()).rejects.toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE' });
    await expect(client.getLibrary()).rejects.toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE' });
    expect(open).toHaveBeenCalledTimes(1); // no retry storm within a second

    now += 1500;
    expect(await client.getStatus()).toEqual(FAKE_STATUS);
    expect(open).toHaveBeenCalledTimes(2);

    fake.emit({ name: 'library-changed', payload: { reason: 'sync' } });
    expect(seen).toHaveBeenCalledTimes(1);
    await client.close();
    expect(fake.listenerCount()).toBe(0);
  });

  it('keeps the 1 s limit when a burst of calls shares a retry that fails', async () => {
    let now = 0;
    const fake = createFakeClient();
    let failRetry: (error: unknown) => void = () => undefined;
    const open = vi
      .fn<() => Promise<typeof fake.client>>()
      .mockRejectedValueOnce(new ClientError('KEYCHAIN_UNAVAILABLE', 'No OS keychain answered. Unlock it.'))
      .mockImplementationOnce(() => new Promise((_resolve, reject) => (failRetry = reject)))
      .mockResolvedValue(fake.client);
    const client = createRecoveringClient(open, { now: () => now });
    expect(await client.ready()).toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE' });

    now += 1500;
    const burst = [client.getStatus(), client.getLibrary(), client.listDevices()];
    expect(open).toHaveBeenCalledTimes(2); // one retry, shared by the whole burst
    failRetry(new ClientError('KEYCHAIN_UNAVAILABLE', 'Still locked.'));
    for (const call of burst) await expect(call).rejects.toMatchObject({ message: 'Still locked.' });
    await expect(client.getStatus()).rejects.toMatchObject({ message: 'Still locked.' });
    expect(open).toHaveBeenCalledTimes(2); // no new attempt within a second of that failure

    now += 999;
    await expect(client.getStatus()).rejects.toMatchObject({ message: 'Still locked.' });
    expect(open).toHaveBeenCalledTimes(2);

    now += 1;
    expect(await client.getStatus()).toEqual(FAKE_STATUS);
    expect(open).toHaveBeenCalledTimes(3);
    await client.close();
  });

  it('shares one attempt between concurrent calls', async () => {
    const fake = createFakeClient();
    const open = vi.fn(async () => fake.client);
    const client = createRecoveringClient(open);
    await Promise.all([client.getStatus(), client.getLibrary(), client.browseCatalog({})]);
    expect(open).toHaveBeenCalledTimes(1);
    expect(await client.ready()).toBeNull();
  });
});
