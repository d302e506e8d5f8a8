/**
 * The Electron window's security settings and the URL rules the main process enforces,
 * as plain functions (no `import 'electron'` at run time) so they can be tested in Node.
 */
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';

/**
 * DESIGN §5: the renderer is a web page with no Node.js and no Electron APIs; all it gets
 * is the `AppBridge` the preload exposes through `contextBridge`.
 */
export const WINDOW_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  navigateOnDragDrop: false,
  spellcheck: false,
  safeDialogs: true,
} as const satisfies WebPreferences;

export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1120,
    height: 780,
    minWidth: 720,
    minHeight: 520,
    title: 'Keyport',
    // Shown on 'ready-to-show', so the window never flashes white before the page paints.
    show: false,
    backgroundColor: '#f6f7f9',
    webPreferences: { ...WINDOW_WEB_PREFERENCES, preload: preloadPath },
  };
}

/**
 * True when `url` is the app's own page (`appPageUrl`, a file:// URL), whatever its
 * fragment or query. Used to check IPC senders and to allow only same-page navigation.
 */
export function isAppPageUrl(url: string, appPageUrl: string): boolean {
  let candidate: URL;
  let own: URL;
  try {
    candidate = new URL(url);
    own = new URL(appPageUrl);
  } catch {
    return false;
  }
  return (
    candidate.protocol === own.protocol && candidate.host === own.host && candidate.pathname === own.pathname
  );
}

/** True for a file:// URL inside the built renderer folder (its page, scripts and styles). */
export function isAppResourceUrl(url: string, rendererDirUrl: string): boolean {
  let candidate: URL;
  try {
    candidate = new URL(url);
  } catch {
    return false;
  }
  const root = rendererDirUrl.endsWith('/') ? rendererDirUrl : `${rendererDirUrl}/`;
  // The URL parser has already resolved any "..", so a prefix check is exact here.
  return candidate.protocol === 'file:' && candidate.href.startsWith(root);
}

/**
 * Links the renderer may hand to the OS browser: plain http(s) only, never file:, a
 * custom scheme or javascript: (those could start local programs).
 */
export function externalLinkToOpen(url: string): string | null {
  try {
    const parsed = new URL(url);
    if ((parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.username === '') {
      return parsed.href;
    }
  } catch {
    // Not a URL at all: nothing to open.
  }
  return null;
}
