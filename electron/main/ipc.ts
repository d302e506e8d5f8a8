/**
 * Main-process side of the IPC bridge: one `ipcMain.handle` per `ClientApi` method, each
 * refusing callers other than the app's own page, and the core's events forwarded to
 * the window. Typed against the small part of Electron it uses, so it runs in tests
 * with a fake `ipcMain`.
 */
import type { IpcMainInvokeEvent } from 'electron';
import {
  CLIENT_EVENT_CHANNEL,
  CLIENT_METHODS,
  clientChannel,
  type ClientApi,
  type ClientEnvelope,
  type ClientEventSource,
} from '../../shared/client-api.ts';
import { dispatchClientCall } from '../bridge/client-dispatch.ts';

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

const REFUSED: ClientEnvelope = {
  ok: false,
  error: { code: 'FORBIDDEN', message: 'Only the Keyport window may use the app.' },
};

/**
 * Registers every method; returns a function that removes them again. `isTrustedSender`
 * decides per call (the window can be reloaded or replaced while the app runs).
 */
export function registerClientIpc(options: {
  ipcMain: IpcMainLike;
  client: ClientApi;
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean;
  onRefused?: (method: string, event: IpcMainInvokeEvent) => void;
}): () => void {
  const { ipcMain, client, isTrustedSender } = options;
  for (const method of CLIENT_METHODS) {
    ipcMain.handle(clientChannel(method), async (event, input) => {
      if (!isTrustedSender(event)) {
        options.onRefused?.(method, event);
        return REFUSED;
      }
      return dispatchClientCall(client, method, input);
    });
  }
  return () => {
    for (const method of CLIENT_METHODS) ipcMain.removeHandler(clientChannel(method));
  };
}

/** Pushes every core event to the window; returns the unsubscribe function. */
export function forwardClientEvents(
  source: ClientEventSource,
  send: (channel: string, payload: unknown) => void,
): () => void {
  return source.subscribe((event) => send(CLIENT_EVENT_CHANNEL, event));
}
