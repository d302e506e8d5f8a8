/**
 * Opening the web shell in a window of its own: Chromium (or Chrome) in `--app` mode,
 * with a browser profile of the app's own so it shares nothing — cookies, extensions,
 * history — with the user's everyday browser. Without Chromium or Chrome, the desktop's
 * default browser through `xdg-open` (a tab, not an app window, but the same app).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { isExecutable } from './desktop-environment.ts';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

function onPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

/** KEYPORT_BROWSER, else /usr/bin/chromium, else a Chromium or Chrome on PATH. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.KEYPORT_BROWSER) return isExecutable(env.KEYPORT_BROWSER) ? env.KEYPORT_BROWSER : null;
  if (isExecutable('/usr/bin/chromium')) return '/usr/bin/chromium';
  for (const name of CANDIDATES) {
    const found = onPath(name, env);
    if (found) return found;
  }
  return null;
}

/** `xdg-open` on PATH (Linux and the BSDs), the way to reach the default browser. */
export function findXdgOpen(env: NodeJS.ProcessEnv = process.env): string | null {
  return onPath('xdg-open', env);
}

export interface AppWindow {
  process: ChildProcess;
  /** Resolves when the window's browser process has exited. */
  exited: Promise<void>;
  close(): Promise<void>;
}

export type WindowProfile =
  /** A fresh profile under this folder, removed when the browser exits (`npm start`). */
  | { throwawayIn: string }
  /**
   * This profile folder, kept (the installed app). A second window opened on the same
   * profile is handed to the browser already running it, whose process then exits at once.
   */
  | { keep: string };

export async function openAppWindow(
  browser: string,
  url: string,
  profile: WindowProfile,
): Promise<AppWindow> {
  let profileDir: string;
  if ('keep' in profile) {
    await mkdir(profile.keep, { recursive: true, mode: 0o700 });
    profileDir = profile.keep;
  } else {
    await mkdir(profile.throwawayIn, { recursive: true });
    profileDir = await mkdtemp(path.join(profile.throwawayIn, 'browser-'));
  }
  const args = [
    `--app=${url}`,
    `--user-data-dir=${profileDir}`,
    // The window manager groups the window with the "Keyport" menu entry (StartupWMClass).
    '--class=Keyport',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-sync',
    '--disable-extensions',
    '--window-size=1120,780',
  ];
  // Chromium will not start as root with its sandbox on. The window shows only the
  // app's own loopback page, under the same CSP as in Electron.
  if (process.platform === 'linux' && process.getuid?.() === 0) args.push('--no-sandbox');
  const child = spawn(browser, args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const removeProfile =
    'keep' in profile ? exited : exited.then(() => rm(profileDir, { recursive: true, force: true }));
  return {
    process: child,
    exited,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await removeProfile;
    },
  };
}

/** Hand the URL to the desktop's default browser; resolves with whether xdg-open succeeded. */
export function openInDefaultBrowser(xdgOpen: string, url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(xdgOpen, [url], { stdio: 'ignore', detached: true });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
    child.unref();
  });
}
