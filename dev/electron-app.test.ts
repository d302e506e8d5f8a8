/**
 * The real Electron app, driven by Playwright: the window is isolated and sandboxed, the
 * renderer loaded and reached the core through the preload, and it cannot navigate away
 * or open windows.
 *
 * Needs the Electron binary and a display (xvfb-run is enough). Where either is missing
 * the suite is skipped and its name says why — it never passes without running.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './build-app.ts';
import { electronLaunchability } from './electron-binary.ts';
import { OUT_DIR } from './renderer-build.ts';
import { skipNote } from '../test-support/skip-note.ts';

interface PageGlobals {
  keyport: object;
  require?: unknown;
  process?: unknown;
  document: { querySelector(selector: string): unknown };
  location: { href: string };
  open(url: string): unknown;
}

const launchable = electronLaunchability();
const skipReason = 'missing' in launchable ? launchable.missing : null;

describe.skipIf(skipReason !== null)(`the Electron app${skipNote(skipReason)}`, () => {
  let profileDir: string;
  let app: ElectronApplication;
  let page: Page;

  beforeAll(async () => {
    if (!('path' in launchable)) return;
    await buildApp('electron');
    profileDir = await mkdtemp(path.join(tmpdir(), 'keyport-electron-'));
    app = await _electron.launch({
      executablePath: launchable.path,
      // No provider listens on port 9: the app starts offline, which is all this needs.
      args: [
        path.join(OUT_DIR, 'main', 'index.js'),
        '--provider',
        'http://127.0.0.1:9',
        '--profile',
        profileDir,
        '--simulate-device',
        'electron-test',
        '--insecure-secret-file',
      ],
    });
    page = await app.firstWindow();
    await page.waitForSelector('[data-testid="status"], [data-testid="startup-problem"]');
  });

  afterAll(async () => {
    await app?.close();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  });

  it('opens one window with context isolation, the sandbox and no Node.js', async () => {
    const prefs = await app.evaluate(({ BrowserWindow }) => {
      const windows = BrowserWindow.getAllWindows();
      const contents = windows[0]?.webContents as unknown as { getLastWebPreferences?: () => unknown };
      return { count: windows.length, prefs: contents?.getLastWebPreferences?.() ?? null };
    });
    expect(prefs.count).toBe(1);
    expect(prefs.prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    });
  });

  it('gives the page the bridge and nothing else', async () => {
    // Runs in the page; the root tsconfig has no DOM types, hence the shape below.
    const seen = await page.evaluate(() => {
      const page = globalThis as unknown as PageGlobals;
      return {
        bridge: Object.keys(page.keyport).sort(),
        require: typeof page.require,
        process: typeof page.process,
        csp: page.document.querySelector('meta[http-equiv="Content-Security-Policy"]') !== null,
      };
    });
    expect(seen).toEqual({
      bridge: ['invoke', 'onEvent'],
      require: 'undefined',
      process: 'undefined',
      csp: true,
    });
  });

  it('shows the status from the core, through IPC', async () => {
    const status = page.getByTestId('status');
    if (await status.count()) {
      expect(await page.getByTestId('device-id').textContent()).toMatch(/\S/);
    } else {
      // A startup problem is still an answer from the core through IPC, with a sentence.
      expect(await page.getByTestId('startup-problem').textContent()).toMatch(/\S{10}/);
    }
  });

  it('stays on its page and opens no windows', async () => {
    const before = page.url();
    await page.evaluate(() => {
      (globalThis as unknown as PageGlobals).location.href = 'https://example.com/';
    });
    await page.waitForTimeout(500);
    expect(page.url()).toBe(before);
    expect(
      await page.evaluate(() => (globalThis as unknown as PageGlobals).open('https://example.com/') === null),
    ).toBe(true);
    expect(app.windows()).toHaveLength(1);
  });
});
