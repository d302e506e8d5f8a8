/**
 * `keyport open`, the installed app's launcher: one app per profile (a second start finds
 * the running one), stale records replaced, a sentence when the window files are missing,
 * and — on a real display with a real Chromium — a window that connects, after whose
 * closing the app stops.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { appOptionsFrom, type AppOptions } from '../core/app-options.ts';
import { buildRenderer } from '../../dev/renderer-build.ts';
import { findRendererDir, runDesktopApp } from './desktop-app.ts';
import { skipNote } from '../../test-support/skip-note.ts';

const CHROMIUM = process.env.KEYPORT_TEST_CHROMIUM ?? '/usr/bin/chromium';
const XVFB = '/usr/bin/Xvfb';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function scratch(label: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `keyport-open-${label}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A profile against a provider nobody listens on: the app starts offline, which is enough. */
async function profile(): Promise<AppOptions> {
  const dir = await scratch('profile');
  return appOptionsFrom(
    { provider: 'http://127.0.0.1:9', profile: dir, 'simulate-device': 'desk', 'insecure-secret-file': true },
    {},
  );
}

/** The smallest window files the web shell serves; enough where no window is opened. */
async function rendererStub(): Promise<string> {
  const dir = await scratch('renderer');
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>Keyport</title>');
  return dir;
}

interface Running {
  lines: string[];
  done: Promise<number>;
  stop(): Promise<number>;
}

function run(options: Omit<Parameters<typeof runDesktopApp>[0], 'log' | 'signal'>): Running {
  const lines: string[] = [];
  const controller = new AbortController();
  const done = runDesktopApp({ ...options, log: (line) => lines.push(line), signal: controller.signal });
  const running = {
    lines,
    done,
    stop: () => {
      controller.abort();
      return done;
    },
  };
  cleanups.push(async () => void (await running.stop()));
  return running;
}

interface InstanceRecord {
  pid: number;
  url?: string;
  launchUrl?: string;
}

/** The record a started app writes, once it holds an address (other than `previous`'s). */
async function instanceRecord(appOptions: AppOptions, previous?: InstanceRecord): Promise<InstanceRecord> {
  const file = path.join(appOptions.profileDir, 'app-instance.json');
  for (let waited = 0; waited < 10_000; waited += 50) {
    if (existsSync(file)) {
      // An empty or half-written file is not a record yet.
      const record = await readFile(file, 'utf8')
        .then((text) => JSON.parse(text) as InstanceRecord)
        .catch(() => null);
      if (record?.url && record.url !== previous?.url) return record;
    }
    await sleep(50);
  }
  throw new Error('the app never recorded its address');
}

describe('keyport open', () => {
  it('is one app per profile: a second start names the running app and starts nothing', async () => {
    const appOptions = await profile();
    const rendererDir = await rendererStub();
    const first = run({ appOptions, rendererDir, open: false });
    const record = await instanceRecord(appOptions);
    expect(record.pid).toBe(process.pid);
    expect(record.launchUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#secret=[\w-]{20,}$/);
    // The record holds the secret: only this user may read it.
    expect((await stat(path.join(appOptions.profileDir, 'app-instance.json'))).mode & 0o777).toBe(0o600);
    expect(first.lines.join('\n')).toContain('Press Ctrl-C to stop Keyport.');

    const secondLines: string[] = [];
    const code = await runDesktopApp({
      appOptions,
      rendererDir,
      open: false,
      log: (l) => secondLines.push(l),
    });
    expect(code).toBe(0);
    expect(secondLines.join('\n')).toContain('Keyport is already running on this profile.');
    expect(secondLines.join('\n')).toContain(record.launchUrl);

    expect(await first.stop()).toBe(0);
    expect(first.lines.at(-1)).toBe('Stopping Keyport: it was asked to stop.');
    expect(existsSync(path.join(appOptions.profileDir, 'app-instance.json'))).toBe(false);
  });

  it('replaces the record of an app that is gone or no longer answers', async () => {
    const rendererDir = await rendererStub();
    const gone = spawnSync(process.execPath, ['-e', 'process.pid']).pid;
    for (const stale of [
      // Left empty by a launch that died between creating and writing it.
      '',
      { pid: gone, url: 'http://127.0.0.1:9', launchUrl: 'http://127.0.0.1:9/#secret=old' },
      // A live process (this one) whose address answers nothing: killed hard, its pid reused.
      { pid: process.pid, url: 'http://127.0.0.1:9', launchUrl: 'http://127.0.0.1:9/#secret=old' },
    ]) {
      const appOptions = await profile();
      await mkdir(appOptions.profileDir, { recursive: true });
      await writeFile(
        path.join(appOptions.profileDir, 'app-instance.json'),
        typeof stale === 'string' ? stale : JSON.stringify(stale),
      );
      const app = run({ appOptions, rendererDir, open: false });
      const record = await instanceRecord(appOptions, typeof stale === 'string' ? undefined : stale);
      expect(record.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(app.lines.join('\n')).not.toContain('already running');
      await app.stop();
    }
  });

  it('says what to do when the window files are missing', async () => {
    const lines: string[] = [];
    const appOptions = await profile();
    const code = await runDesktopApp({
      appOptions,
      rendererDir: await scratch('empty'),
      open: false,
      log: (line) => lines.push(line),
    });
    expect(code).toBe(1);
    expect(lines.join('\n')).toBe(
      'keyport: the app’s window files are missing. Reinstall the keyport package, or in a checkout run `npm run build` first.',
    );
    expect(existsSync(path.join(appOptions.profileDir, 'app-instance.json'))).toBe(false);
  });

  it('finds the window files beside its bundle, or where KEYPORT_RENDERER_DIR says', async () => {
    const rendererDir = await rendererStub();
    expect(findRendererDir({ KEYPORT_RENDERER_DIR: rendererDir })).toBe(rendererDir);
  });

  const noWindow = !existsSync(XVFB)
    ? `${XVFB} is not installed (apt-get install xvfb)`
    : !existsSync(CHROMIUM)
      ? `no Chromium at ${CHROMIUM} (apt-get install chromium)`
      : null;
  it.skipIf(noWindow !== null)(
    `opens a Chromium window on a display, and stops once it has been closed${skipNote(noWindow)}`,
    async () => {
      const rendererDir = await scratch('built-renderer');
      await buildRenderer(rendererDir, true);
      const display = `:${90 + Math.floor(Math.random() * 100)}`;
      const xvfb: ChildProcess = spawn(XVFB, [display, '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], {
        stdio: 'ignore',
      });
      cleanups.push(async () => void xvfb.kill('SIGTERM'));
      await sleep(500);
      const saved = { DISPLAY: process.env.DISPLAY, KEYPORT_BROWSER: process.env.KEYPORT_BROWSER };
      process.env.DISPLAY = display;
      process.env.KEYPORT_BROWSER = CHROMIUM;
      cleanups.push(async () => {
        for (const [name, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
      });

      const appOptions = await profile();
      const app = run({
        appOptions,
        rendererDir,
        open: true,
        timing: { windowlessStopMs: 1_500, watchIntervalMs: 100, firstWindowGraceMs: 30_000 },
      });
      await instanceRecord(appOptions);
      expect(app.lines.join('\n')).toContain('It opened in a Chromium window.');
      expect(app.lines.join('\n')).toContain('Keyport stops a minute after its last window closes');
      // The window's browser keeps its profile in the app's data folder, apart from the user's.
      await expect
        .poll(() => existsSync(path.join(appOptions.dataDir, 'window')), { timeout: 10_000 })
        .toBe(true);

      // Closing the window (its browser) is what lets the app stop.
      await sleep(3_000);
      expect(app.lines.join('\n')).not.toContain('Stopping Keyport');
      spawnSync('pkill', ['-f', `user-data-dir=${path.join(appOptions.dataDir, 'window')}`]);
      expect(await app.done).toBe(0);
      expect(app.lines.at(-1)).toBe('Stopping Keyport: its last window closed.');
    },
    60_000,
  );
});
