/**
 * The app without Electron: the client core in this process, the web shell in front of
 * it on loopback, and — when a display and a Chromium exist — a Chromium `--app` window
 * on the launch URL. Used by `npm start` (fallback or `--web`) and `npm run web-shell`.
 */
import type { AppOptions } from '../core/app-options.ts';
import { createKeyportClient } from '../core/client.ts';
import { createRecoveringClient, type RecoveringClient } from '../shell-client.ts';
import { startWebShell, type WebShell } from '../web-shell/web-shell.ts';
import { findChromium, openAppWindow, type AppWindow } from './browser.ts';
import { ensureBuilt } from './build-app.ts';
import { findDisplay } from './electron-binary.ts';
import { RENDERER_OUT_DIR } from './renderer-build.ts';

export interface WebApp {
  shell: WebShell;
  client: RecoveringClient;
  /** The Chromium window, when one was opened. */
  window: AppWindow | null;
  close(): Promise<void>;
}

export async function startWebApp(options: {
  appOptions: AppOptions;
  /** The web shell's port; 0 picks a free one. */
  port: number;
  /** Open a Chromium window (when there is a display and a Chromium). */
  open: boolean;
  /** Where the window's throwaway browser profile goes (created when needed). */
  scratchDir: string;
  /** The renderer build is known to be current (the Electron build just made sure of it). */
  rendererBuilt?: boolean;
  log: (line: string) => void;
}): Promise<WebApp> {
  const { log } = options;
  if (!options.rendererBuilt) await ensureBuilt('renderer', log);
  const client = createRecoveringClient(() => createKeyportClient(options.appOptions));
  let shell: WebShell;
  try {
    shell = await startWebShell({ client, rendererDir: RENDERER_OUT_DIR, port: options.port });
  } catch (error) {
    await client.close();
    throw error;
  }
  const startupError = await client.ready();
  if (startupError) {
    log(`The app could not start its core: ${startupError.message}`);
    log('The window says the same and can try again once that is fixed.');
  }

  let window: AppWindow | null = null;
  let notOpened: string | null = null;
  const display = findDisplay();
  const browser = findChromium();
  if (!options.open) notOpened = 'not opening a window (--no-open)';
  else if ('missing' in display) notOpened = `not opening a window: ${display.missing}`;
  else if (!browser)
    notOpened = 'not opening a window: no Chromium or Chrome found (set KEYPORT_BROWSER to one)';
  else window = await openAppWindow(browser, shell.launchUrl, options.scratchDir);

  log('');
  log(`Keyport is running as a local web app at ${shell.url}`);
  if (window) log('  A Chromium window shows it; closing that window stops Keyport.');
  else log(`  ${notOpened}. Open this address in Chromium or Chrome on this computer:`);
  log(`  ${shell.launchUrl}`);
  log('  (the part after # is this session’s key: it never leaves this computer)');

  return {
    shell,
    client,
    window,
    async close() {
      await Promise.allSettled([window?.close(), shell.close()]);
      await client.close();
    },
  };
}
