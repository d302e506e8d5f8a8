/**
 * Main-process side of the IPC bridge: one `ipcMain.handle` per `AppApi` method, each
 * refusing callers other than the app's own page, and the core's events forwarded to
 * the window. Typed against the small part of Electron it uses, so it runs in tests
 * with a fake `ipcMain`.
 */
import type { IpcMainInvokeEvent } from 'electron';
import {
  APP_EVENT_CHANNEL,
  APP_METHODS,
  appChannel,
  type AppApi,
  type AppEnvelope,
  type AppEventSource,
} from '../../shared/app-api/app-api.ts';
import { dispatchAppCall } from '../bridge/app-dispatch.ts';

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

const REFUSED: AppEnvelope = {
  ok: false,
  error: { code: 'FORBIDDEN', message: 'Only the Keyport window may use the app.' },
};

/**
 * Registers every method; returns a function that removes them again. `isTrustedSender`
 * decides per call (the window can be reloaded or replaced while the app runs).
 */
export function registerAppIpc(options: {
  ipcMain: IpcMainLike;
  core: AppApi;
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean;
  onRefused?: (method: string, event: IpcMainInvokeEvent) => void;
}): () => void {
  const { ipcMain, core, isTrustedSender } = options;
  for (const method of APP_METHODS) {
    ipcMain.handle(appChannel(method), async (event, input) => {
      if (!isTrustedSender(event)) {
        options.onRefused?.(method, event);
        return REFUSED;
      }
      return dispatchAppCall(core, method, input);
    });
  }
  return () => {
    for (const method of APP_METHODS) ipcMain.removeHandler(appChannel(method));
  };
}

/** Pushes every core event to the window; returns the unsubscribe function. */
export function forwardAppEvents(
  source: AppEventSource,
  send: (channel: string, payload: unknown) => void,
): () => void {
  return source.subscribe((event) => send(APP_EVENT_CHANNEL, event));
}
