/**
 * The app without Electron: the core in this process, the web shell in front of
 * it on loopback, and a window on the launch URL — Chromium's `--app` mode when a display
 * and a Chromium exist, else (when asked) the default browser. Used by the installed app
 * (`keyport open`), and by `npm start` (fallback or `--web`) and `npm run web-shell`.
 *
 * It serves a renderer that is already built: building is the developer tooling's job.
 */
import type { AppOptions } from '../core/app-options.ts';
import { createKeyportCore } from '../core/keyport-core.ts';
import { createRecoveringCore, type RecoveringCore } from '../bridge/recovering-core.ts';
import {
  findChromium,
  findXdgOpen,
  openAppWindow,
  openInDefaultBrowser,
  type AppWindow,
  type WindowProfile,
} from './browser.ts';
import { findDisplay } from './desktop-environment.ts';
import { startWebShell, type WebShell } from './web-shell.ts';

export interface WebApp {
  shell: WebShell;
  core: RecoveringCore;
  /** The Chromium window, when one was opened (not a default-browser tab). */
  window: AppWindow | null;
  /** Whether a window or a browser tab was opened on the app (false: the address was printed). */
  opened: boolean;
  close(): Promise<void>;
}

export interface WindowChoice {
  profile: WindowProfile;
  /** Without Chromium or Chrome, open the default browser through xdg-open. */
  defaultBrowser?: boolean;
}

/** Opens the app's window on `url`; says what it did, or why it did not. */
export async function openWindow(
  url: string,
  choice: WindowChoice,
): Promise<{ window: AppWindow | null; opened: string | null; notOpened: string | null }> {
  const display = findDisplay();
  if ('missing' in display)
    return { window: null, opened: null, notOpened: `not opening a window: ${display.missing}` };
  const browser = findChromium();
  if (browser) {
    return {
      window: await openAppWindow(browser, url, choice.profile),
      opened: 'a Chromium window',
      notOpened: null,
    };
  }
  const xdgOpen = choice.defaultBrowser ? findXdgOpen() : null;
  if (xdgOpen && (await openInDefaultBrowser(xdgOpen, url)))
    return { window: null, opened: 'your default browser', notOpened: null };
  return {
    window: null,
    opened: null,
    notOpened: 'not opening a window: no Chromium or Chrome found (set KEYPORT_BROWSER to one)',
  };
}

export async function startWebApp(options: {
  appOptions: AppOptions;
  /** The built renderer: a folder with index.html and assets/. */
  rendererDir: string;
  /** The web shell's port; 0 picks a free one. */
  port: number;
  /** Which window to open, or false for none (`--no-open`). */
  window: WindowChoice | false;
  log: (line: string) => void;
}): Promise<WebApp> {
  const { log } = options;
  const core = createRecoveringCore(() => createKeyportCore(options.appOptions, { program: 'web-shell' }));
  let shell: WebShell;
  try {
    shell = await startWebShell({ core, rendererDir: options.rendererDir, port: options.port });
  } catch (error) {
    await core.close();
    throw error;
  }
  const startupError = await core.ready();
  if (startupError) {
    log(`The app could not start its core: ${startupError.message}`);
    log('The window says the same and can try again once that is fixed.');
  }

  const shown = options.window
    ? await openWindow(shell.launchUrl, options.window)
    : { window: null, opened: null, notOpened: 'not opening a window (--no-open)' };

  log('');
  log(`Keyport is running as a local web app at ${shell.url}`);
  if (shown.opened) log(`  It opened in ${shown.opened}.`);
  else
    log(
      `  ${shown.notOpened ?? 'not opening a window'}. Open this address in Chromium or Chrome on this computer:`,
    );
  log(`  ${shell.launchUrl}`);
  log('  (the part after # is this session’s key: it never leaves this computer)');

  return {
    shell,
    core,
    window: shown.window,
    opened: shown.opened !== null,
    async close() {
      await Promise.allSettled([shown.window?.close(), shell.close()]);
      await core.close();
    },
  };
}
