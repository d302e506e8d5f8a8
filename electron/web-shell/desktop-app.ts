/**
 * `keyport open`: the installed app, as the "Keyport" menu entry starts it. The web shell
 * on loopback with a fresh per-launch secret, shown in an app window (Chromium or Chrome
 * `--app`, else the default browser through xdg-open).
 *
 * One app per profile: the running one records itself in `app-instance.json` in the
 * profile folder (0600, for it holds the launch URL and so the secret). A second launch
 * finds it, opens another window on it and exits, instead of starting a second core that
 * would write the same profile.
 *
 * The app stops on Ctrl-C or SIGTERM; and, when it opened a window itself (as from the
 * menu), once its windows have been closed for a minute (a window holds the event stream
 * open: that is how the app knows one is there). Without a window it opened (`--no-open`,
 * no display) it prints its address and runs until stopped.
 */
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { onStopSignal } from '../../shared/stop-signals.ts';
import type { AppOptions } from '../core/app-options.ts';
import { writeFileAtomically } from '../core/atomic-file.ts';
import { openWindow, startWebApp, type WindowChoice } from './web-app.ts';

const INSTANCE_FILE = 'app-instance.json';
export interface Timing {
  /** How long the app outlives its last window (a reload or a new window comes back sooner). */
  windowlessStopMs: number;
  /** How long a window that was opened may take to connect before the app gives up on it. */
  firstWindowGraceMs: number;
  watchIntervalMs: number;
}

const TIMING: Timing = { windowlessStopMs: 60_000, firstWindowGraceMs: 120_000, watchIntervalMs: 2_000 };

interface InstanceRecord {
  pid: number;
  /** Set once the web shell listens. */
  url?: string;
  launchUrl?: string;
}

/**
 * The built renderer: KEYPORT_RENDERER_DIR, else the package's layout
 * (`/opt/keyport/lib/keyport.mjs` beside `/opt/keyport/renderer`), else a checkout's
 * `out/renderer` (`npm run build`).
 */
export function findRendererDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    env.KEYPORT_RENDERER_DIR,
    path.join(here, '..', 'renderer'),
    path.join(here, '..', '..', 'out', 'renderer'),
  ];
  for (const dir of candidates) if (dir && existsSync(path.join(dir, 'index.html'))) return dir;
  return null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readInstance(file: string): Promise<InstanceRecord | null> {
  try {
    const record = JSON.parse(await readFile(file, 'utf8')) as InstanceRecord;
    return Number.isInteger(record.pid) ? record : null;
  } catch {
    return null;
  }
}

/** Whether the web shell at `url` answers (the record may outlive a killed app). */
async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Through a temporary file and a rename: a second launch never reads half a record. */
function writeInstance(file: string, record: InstanceRecord): Promise<void> {
  return writeFileAtomically(file, JSON.stringify(record));
}

type Claim = { kind: 'ours' } | { kind: 'running'; launchUrl: string };

/**
 * Claims the profile for this process, or finds the app already running on it. A record
 * whose process is gone, or that stopped answering, is stale and replaced.
 */
async function claimProfile(file: string): Promise<Claim> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(JSON.stringify({ pid: process.pid } satisfies InstanceRecord));
      await handle.close();
      return { kind: 'ours' };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const record = await readInstance(file);
    // Unreadable: most likely another launch created it this instant and is writing it.
    // Give it a moment (up to a second) before calling it stale.
    if (record === null && attempt < 5) {
      await sleep(200);
      continue;
    }
    if (record && isAlive(record.pid)) {
      if (record.launchUrl && record.url && (await answers(record.url)))
        return { kind: 'running', launchUrl: record.launchUrl };
      // Still starting (no URL yet): wait for it rather than start a second app.
      if (!record.url) {
        await sleep(200);
        continue;
      }
    }
    await rm(file, { force: true });
  }
  throw new Error(
    `another Keyport is starting on this profile and has not finished; if none is running, delete ${file}`,
  );
}

export async function runDesktopApp(options: {
  appOptions: AppOptions;
  /** `--no-open`: print the address instead of opening a window. */
  open: boolean;
  log?: (line: string) => void;
  /** Default: found by `findRendererDir`. */
  rendererDir?: string;
  /** Stops the app as SIGINT/SIGTERM do (for a caller that embeds it, and tests). */
  signal?: AbortSignal;
  timing?: Partial<Timing>;
}): Promise<number> {
  const log = options.log ?? ((line: string) => console.log(line));
  const { appOptions } = options;
  const timing = { ...TIMING, ...options.timing };
  const rendererDir = options.rendererDir ?? findRendererDir();
  if (!rendererDir || !existsSync(path.join(rendererDir, 'index.html'))) {
    log(
      'keyport: the app’s window files are missing. Reinstall the keyport package, or in a checkout run `npm run build` first.',
    );
    return 1;
  }
  const windowChoice: WindowChoice = {
    profile: { keep: path.join(appOptions.dataDir, 'window') },
    defaultBrowser: true,
  };
  const instanceFile = path.join(appOptions.profileDir, INSTANCE_FILE);
  await mkdir(appOptions.profileDir, { recursive: true, mode: 0o700 });

  const claim = await claimProfile(instanceFile);
  if (claim.kind === 'running') {
    log('Keyport is already running on this profile.');
    if (!options.open) {
      log(`  Its address: ${claim.launchUrl}`);
      return 0;
    }
    const shown = await openWindow(claim.launchUrl, windowChoice);
    log(
      shown.opened
        ? `  Opened it in ${shown.opened}.`
        : `  ${shown.notOpened}. Its address: ${claim.launchUrl}`,
    );
    return 0;
  }

  const release = async () => {
    const record = await readInstance(instanceFile);
    if (record?.pid === process.pid) await rm(instanceFile, { force: true });
  };
  let app;
  try {
    app = await startWebApp({
      appOptions,
      rendererDir,
      port: 0,
      window: options.open ? windowChoice : false,
      log,
    });
    await writeInstance(instanceFile, {
      pid: process.pid,
      url: app.shell.url,
      launchUrl: app.shell.launchUrl,
    });
  } catch (error) {
    await release();
    throw error;
  }

  const started = Date.now();
  // Without a window to wait for (none could open, or --no-open), run until stopped.
  const expectsWindow = app.opened;
  log(
    expectsWindow
      ? 'Keyport stops a minute after its last window closes, or on Ctrl-C.'
      : 'Press Ctrl-C to stop Keyport.',
  );
  const reason = await new Promise<string>((resolve) => {
    let windowSeen = false;
    let windowlessSince = Date.now();
    const onAbort = () => finish('it was asked to stop');
    const finish = (why: string) => {
      clearInterval(timer);
      stopListening();
      options.signal?.removeEventListener('abort', onAbort);
      resolve(why);
    };
    // The web shell's listener keeps the process alive; this only watches the windows.
    const timer = setInterval(() => {
      const now = Date.now();
      if (app.shell.connectedWindows() > 0) {
        windowSeen = true;
        windowlessSince = now;
        return;
      }
      if (!expectsWindow) return;
      if (windowSeen && now - windowlessSince >= timing.windowlessStopMs) finish('its last window closed');
      else if (!windowSeen && now - started >= timing.firstWindowGraceMs) finish('no window connected to it');
    }, timing.watchIntervalMs);
    const stopListening = onStopSignal((signal) =>
      finish(signal === 'SIGINT' ? 'Ctrl-C' : 'it was asked to stop'),
    );
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort);
  });
  log(`Stopping Keyport: ${reason}.`);
  await app.close().catch(() => undefined);
  await release();
  return 0;
}
