/**
 * Opening the web shell in a window of its own: Chromium (or Chrome) in `--app` mode,
 * with a throwaway profile so it shares nothing — cookies, extensions, history — with
 * the user's everyday browser.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { isExecutable } from './electron-binary.ts';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** KEYPORT_BROWSER, else /usr/bin/chromium, else a Chromium or Chrome on PATH. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.KEYPORT_BROWSER) return isExecutable(env.KEYPORT_BROWSER) ? env.KEYPORT_BROWSER : null;
  if (isExecutable('/usr/bin/chromium')) return '/usr/bin/chromium';
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const name of CANDIDATES) {
      const candidate = path.join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return null;
}

export interface AppWindow {
  process: ChildProcess;
  /** Resolves when the window's browser has exited. */
  exited: Promise<void>;
  close(): Promise<void>;
}

export async function openAppWindow(browser: string, url: string, scratchDir: string): Promise<AppWindow> {
  await mkdir(scratchDir, { recursive: true });
  const profile = await mkdtemp(path.join(scratchDir, 'browser-'));
  const args = [
    `--app=${url}`,
    `--user-data-dir=${profile}`,
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
  const removeProfile = exited.then(() => rm(profile, { recursive: true, force: true }));
  return {
    process: child,
    exited,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await removeProfile;
    },
  };
}
