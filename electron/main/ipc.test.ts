/**
 * The IPC bridge's two sides without Electron: the main process's handlers (one per
 * `AppApi` method, refusing pages other than the app's own) and the preload's bridge.
 */
import type { IpcMainInvokeEvent, IpcRendererEvent } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { APP_EVENT_CHANNEL, APP_METHODS, appChannel, type AppEvent } from '../../shared/app-api/app-api.ts';
import { createIpcBridge } from '../preload/ipc.ts';
import { createFakeCore, FAKE_STATUS } from '../../test-support/fake-core.ts';
import { forwardAppEvents, registerAppIpc } from './ipc.ts';

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

describe('registerAppIpc (main process)', () => {
  it('handles every method, only for trusted senders, through dispatchAppCall', async () => {
    const ipcMain = fakeIpcMain();
    const fake = createFakeCore();
    const refused = vi.fn();
    const dispose = registerAppIpc({
      ipcMain,
      core: fake.core,
      isTrustedSender: (e) => e.senderFrame?.url === 'file:///app/index.html',
      onRefused: refused,
    });
    expect([...ipcMain.handlers.keys()].sort()).toEqual(APP_METHODS.map(appChannel).sort());

    const getStatus = ipcMain.handlers.get(appChannel('getStatus'))!;
    expect(await getStatus(event('file:///app/index.html'), undefined)).toEqual({
      ok: true,
      value: FAKE_STATUS,
    });

    const buy = ipcMain.handlers.get(appChannel('buy'))!;
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
    const fake = createFakeCore();
    const send = vi.fn();
    const stop = forwardAppEvents(fake.core, send);
    const pushed: AppEvent = { name: 'library-changed', payload: { reason: 'purchase' } };
    fake.emit(pushed);
    expect(send).toHaveBeenCalledWith(APP_EVENT_CHANNEL, pushed);
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
    const pushed: AppEvent = { name: 'library-changed', payload: { reason: 'sync' } };
    listeners.get(APP_EVENT_CHANNEL)!({ sender: 'secret' } as unknown as IpcRendererEvent, pushed);
    expect(seen).toHaveBeenCalledWith(pushed);
    expect(seen.mock.calls[0]).toHaveLength(1);
    stop();
    expect(listeners.size).toBe(0);
  });
});
