/**
 * The Electron shell's parts that run without Electron: the IPC handlers (main side), the
 * bridge (preload side), the window's URL rules and options, and the client that
 * survives a failed start.
 */
import type { IpcMainInvokeEvent, IpcRendererEvent } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import {
  CLIENT_EVENT_CHANNEL,
  CLIENT_METHODS,
  clientChannel,
  type ClientEvent,
} from '../shared/client-api.ts';
import { ClientError } from '../shared/client-errors.ts';
import { forwardClientEvents, registerClientIpc } from './ipc-main.ts';
import { createIpcBridge } from './ipc-preload.ts';
import { createRecoveringClient } from './shell-client.ts';
import { createFakeClient, FAKE_STATUS } from './test-support/fake-client.ts';
import {
  externalLinkToOpen,
  isAppPageUrl,
  isAppResourceUrl,
  mainWindowOptions,
  WINDOW_WEB_PREFERENCES,
} from './window-security.ts';

type Handler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;

function fakeIpcMain() {
  const handlers = new Map<string, Handler>();
  return {
    handlers,
    handle: (channel: string, listener: Handler) => void handlers.set(channel, listener),
    removeHandler: (channel: string) => void handlers.delete(channel),
  };
}

const event = (url: string) => ({ senderFrame: { url } }) as unknown as IpcMainInvokeEvent;

describe('registerClientIpc (main process)', () => {
  it('handles every method, only for trusted senders, through dispatchClientCall', async () => {
    const ipcMain = fakeIpcMain();
    const fake = createFakeClient();
    const refused = vi.fn();
    const dispose = registerClientIpc({
      ipcMain,
      client: fake.client,
      isTrustedSender: (e) => e.senderFrame?.url === 'file:///app/index.html',
      onRefused: refused,
    });
    expect([...ipcMain.handlers.keys()].sort()).toEqual(CLIENT_METHODS.map(clientChannel).sort());

    const getStatus = ipcMain.handlers.get(clientChannel('getStatus'))!;
    expect(await getStatus(event('file:///app/index.html'), undefined)).toEqual({
      ok: true,
      value: FAKE_STATUS,
    });

    const buy = ipcMain.handlers.get(clientChannel('buy'))!;
    expect(await buy(event('file:///app/index.html'), { softwareId: 'NOT A SLUG' })).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT' },
    });
    expect(await buy(event('https://evil.example/'), { softwareId: 'ascii-mandelbrot' })).toEqual({
      ok: false,
      error: { code: 'FORBIDDEN', message: 'Only the Keyport window may use the app.' },
    });
    expect(refused).toHaveBeenCalledWith('buy', expect.anything());
    expect(fake.calls.map((c) => c.method)).toEqual(['getStatus']);

    dispose();
    expect(ipcMain.handlers.size).toBe(0);
  });

  it('forwards core events on the event channel', () => {
    const fake = createFakeClient();
    const send = vi.fn();
    const stop = forwardClientEvents(fake.client, send);
    const pushed: ClientEvent = { name: 'library-changed', payload: { reason: 'purchase' } };
    fake.emit(pushed);
    expect(send).toHaveBeenCalledWith(CLIENT_EVENT_CHANNEL, pushed);
    stop();
    expect(fake.listenerCount()).toBe(0);
  });
});

describe('createIpcBridge (preload)', () => {
  it('invokes the method’s channel and refuses names that are not methods', async () => {
    const invoke = vi.fn(async () => ({ ok: true, value: 1 }));
    const bridge = createIpcBridge({ invoke, on: vi.fn(), removeListener: vi.fn() });
    expect(await bridge.invoke('getLibrary', undefined)).toEqual({ ok: true, value: 1 });
    expect(invoke).toHaveBeenCalledWith('keyport:getLibrary', undefined);
    expect(await bridge.invoke('event' as 'getLibrary', undefined)).toMatchObject({ ok: false });
    expect(invoke).toHaveBeenCalledTimes(1);
  });

  it('hands listeners the payload only, never the IPC event, and unsubscribes', () => {
    const listeners = new Map<string, (e: IpcRendererEvent, ...args: unknown[]) => void>();
    const bridge = createIpcBridge({
      invoke: vi.fn(),
      on: (channel, listener) => listeners.set(channel, listener),
      removeListener: (channel) => listeners.delete(channel),
    });
    const seen = vi.fn();
    const stop = bridge.onEvent(seen);
    const pushed: ClientEvent = { name: 'library-changed', payload: { reason: 'sync' } };
    listeners.get(CLIENT_EVENT_CHANNEL)!({ sender: 'secret' } as unknown as IpcRendererEvent, pushed);
    expect(seen).toHaveBeenCalledWith(pushed);
    expect(seen.mock.calls[0]).toHaveLength(1);
    stop();
    expect(listeners.size).toBe(0);
  });
});

describe('window security', () => {
  const page = 'file:///opt/Keyport/resources/app.asar/out/renderer/index.html';

  it('knows its own page, whatever the fragment', () => {
    expect(isAppPageUrl(`${page}#library`, page)).toBe(true);
    expect(isAppPageUrl('file:///opt/Keyport/resources/app.asar/out/renderer/other.html', page)).toBe(false);
    expect(isAppPageUrl('https://example.com/index.html', page)).toBe(false);
    expect(isAppPageUrl('not a url', page)).toBe(false);
  });

  it('allows only files inside the renderer folder', () => {
    const dir = 'file:///opt/Keyport/resources/app.asar/out/renderer';
    expect(isAppResourceUrl(`${dir}/assets/index.js`, dir)).toBe(true);
    expect(isAppResourceUrl(`${dir}/../main/index.js`, dir)).toBe(false);
    expect(isAppResourceUrl(`${dir}-evil/x.js`, dir)).toBe(false);
    expect(isAppResourceUrl('https://example.com/x.js', dir)).toBe(false);
  });

  it('opens only plain http(s) links outside', () => {
    expect(externalLinkToOpen('https://keyport.dev/help')).toBe('https://keyport.dev/help');
    expect(externalLinkToOpen('file:///etc/passwd')).toBeNull();
    expect(externalLinkToOpen('javascript:alert(1)')).toBeNull();
    expect(externalLinkToOpen('ms-settings:privacy')).toBeNull();
    expect(externalLinkToOpen('https://user@evil.example/')).toBeNull();
  });

  it('creates the window isolated, sandboxed and without Node.js', () => {
    const options = mainWindowOptions('/app/out/preload/index.cjs');
    expect(options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      preload: '/app/out/preload/index.cjs',
    });
    expect(WINDOW_WEB_PREFERENCES.allowRunningInsecureContent).toBe(false);
  });
});

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
