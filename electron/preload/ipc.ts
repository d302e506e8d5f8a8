/**
 * Preload side of the IPC bridge: the `ClientBridge` built from `CLIENT_METHODS`, so no
 * code anywhere calls `ipcRenderer` with a hand-written channel name. Bundled into the
 * sandboxed preload, so it may import nothing but `shared/client-api.ts` (itself free of
 * runtime dependencies).
 */
import type { IpcRendererEvent } from 'electron';
import {
  CLIENT_EVENT_CHANNEL,
  clientChannel,
  isClientMethod,
  type ClientBridge,
  type ClientEnvelope,
  type ClientEvent,
} from '../../shared/client-api.ts';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void): unknown;
}

export function createIpcBridge(ipcRenderer: IpcRendererLike): ClientBridge {
  return {
    invoke(method, input) {
      // The page decides what it passes here: only the known channels are reachable.
      if (!isClientMethod(method)) {
        return Promise.resolve({
          ok: false,
          error: { code: 'BAD_INPUT', message: 'The app has no such action.' },
        } satisfies ClientEnvelope);
      }
      return ipcRenderer.invoke(clientChannel(method), input) as Promise<ClientEnvelope>;
    },
    onEvent(listener) {
      // The IpcRendererEvent stays here: handing it to the page would leak `sender`.
      const handler = (_event: IpcRendererEvent, payload: unknown) => listener(payload as ClientEvent);
      ipcRenderer.on(CLIENT_EVENT_CHANNEL, handler);
      return () => {
        ipcRenderer.removeListener(CLIENT_EVENT_CHANNEL, handler);
      };
    },
  };
}
