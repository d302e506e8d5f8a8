/**
 * The renderer's one `ClientApi`. In Electron the preload has put the IPC bridge on
 * `window.keyport`; anywhere else the page is served by the web shell and talks to it
 * over loopback HTTP. Screens never know which: both answer the same envelopes.
 */
import type { ClientBridge } from '../../shared/client-api.ts';
import { createClientProxy } from '../../shared/client-proxy.ts';
import { createWebShellBridge, takeLaunchSecret } from './web-shell-bridge.ts';

function pickBridge(): { bridge: ClientBridge; shell: 'electron' | 'web' } {
  if (window.keyport) return { bridge: window.keyport, shell: 'electron' };
  return { bridge: createWebShellBridge(takeLaunchSecret()), shell: 'web' };
}

const picked = pickBridge();

export const shellKind = picked.shell;
export const client = createClientProxy(picked.bridge);
