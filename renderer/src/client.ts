/**
 * The renderer's one `ClientApi`. In Electron the preload has put the IPC bridge on
 * `window.keyport`; anywhere else the page is served by the web shell and talks to it
 * over loopback HTTP. Screens never know which: both answer the same envelopes.
 *
 * The bridge is picked on first use, not at import, so component tests can install an
 * in-process bridge before the first call.
 */
import type { ClientBridge } from '@shared/client-api.ts';
import { createClientProxy } from '@shared/client-proxy.ts';
import { createWebShellBridge, takeLaunchSecret } from './web-shell-bridge.ts';

let webShell: ClientBridge | null = null;

function bridge(): ClientBridge {
  if (window.keyport) return window.keyport;
  webShell ??= createWebShellBridge(takeLaunchSecret());
  return webShell;
}

export const client = createClientProxy({
  invoke: (method, input) => bridge().invoke(method, input),
  onEvent: (listener) => bridge().onEvent(listener),
});
