/**
 * The renderer's one `AppApi`. In Electron the preload has put the IPC bridge on
 * `window.keyport`; anywhere else the page is served by the web shell and talks to it
 * over loopback HTTP. Screens never know which: both answer the same envelopes.
 *
 * The bridge is picked on first use, not at import, so component tests can install an
 * in-process bridge before the first call.
 */
import type { AppBridge } from '@shared/app-api/app-api.ts';
import { createAppProxy } from '@shared/app-api/proxy.ts';
import { createWebShellBridge, takeLaunchSecret, type WebShellBridge } from './web-shell-bridge.ts';

let webShell: WebShellBridge | null = null;

function bridge(): AppBridge & Partial<Pick<WebShellBridge, 'onAnswering'>> {
  if (window.keyport) return window.keyport;
  webShell ??= createWebShellBridge(takeLaunchSecret());
  return webShell;
}

export const core = createAppProxy({
  invoke: (method, input) => bridge().invoke(method, input),
  onEvent: (listener) => bridge().onEvent(listener),
});

/**
 * Told when the local app stops answering this window and when it answers again. Only the
 * web shell's window can outlive its app; Electron's closes with it, so there it never fires.
 */
export function watchLocalApp(listener: (answering: boolean) => void): () => void {
  return bridge().onAnswering?.(listener) ?? (() => undefined);
}
