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
import { createWebShellBridge, takeLaunchSecret } from './web-shell-bridge.ts';

let webShell: AppBridge | null = null;

function bridge(): AppBridge {
  if (window.keyport) return window.keyport;
  webShell ??= createWebShellBridge(takeLaunchSecret());
  return webShell;
}

export const core = createAppProxy({
  invoke: (method, input) => bridge().invoke(method, input),
  onEvent: (listener) => bridge().onEvent(listener),
});
