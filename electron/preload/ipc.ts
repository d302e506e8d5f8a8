/**
 * Preload side of the IPC bridge: the `AppBridge` built from `APP_METHODS`, so no
 * code anywhere calls `ipcRenderer` with a hand-written channel name. Bundled into the
 * sandboxed preload, so it may import nothing but `shared/app-api/app-api.ts` (itself free of
 * runtime dependencies).
 */
import type { IpcRendererEvent } from 'electron';
import {
  APP_EVENT_CHANNEL,
  appChannel,
  isAppMethod,
  type AppBridge,
  type AppEnvelope,
  type AppEvent,
} from '../../shared/app-api/app-api.ts';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void): unknown;
}

export function createIpcBridge(ipcRenderer: IpcRendererLike): AppBridge {
  return {
    invoke(method, input) {
      // The page decides what it passes here: only the known channels are reachable.
      if (!isAppMethod(method)) {
        return Promise.resolve({
          ok: false,
          error: { code: 'BAD_INPUT', message: 'The app has no such action.' },
        } satisfies AppEnvelope);
      }
      return ipcRenderer.invoke(appChannel(method), input) as Promise<AppEnvelope>;
    },
    onEvent(listener) {
      // The IpcRendererEvent stays here: handing it to the page would leak `sender`.
      const handler = (_event: IpcRendererEvent, payload: unknown) => listener(payload as AppEvent);
      ipcRenderer.on(APP_EVENT_CHANNEL, handler);
      return () => {
        ipcRenderer.removeListener(APP_EVENT_CHANNEL, handler);
      };
    },
  };
}
