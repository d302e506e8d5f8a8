/**
 * The built renderer really runs in Chromium against the web shell: it takes the secret
 * from the launch URL (and wipes it from the address bar), calls the shell, shows what
 * the core answered, follows pushed events, and the CSP lets all of it through.
 *
 * The renderer is built in beforeAll with Vite into a temporary folder (about a second),
 * so the test never runs against a stale out/renderer and needs no build step first.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRenderer } from '../../dev/renderer-build.ts';
import { createFakeCore, FAKE_STATUS, type FakeCore } from '../../test-support/fake-core.ts';
import { startWebShell, type WebShell } from './web-shell.ts';
import { skipNote } from '../../test-support/skip-note.ts';

const CHROMIUM = process.env.KEYPORT_TEST_CHROMIUM ?? '/usr/bin/chromium';
const missing = existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed (set KEYPORT_TEST_CHROMIUM)`;

describe.skipIf(missing !== null)(`the renderer in Chromium${skipNote(missing)}`, () => {
  let outDir: string;
  let fake: FakeCore;
  let shell: WebShell;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    outDir = await mkdtemp(path.join(tmpdir(), 'keyport-renderer-'));
    await buildRenderer(outDir, true);
    fake = createFakeCore();
    shell = await startWebShell({ core: fake.core, rendererDir: outDir });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage();
    // CSP violations and script errors show up here; the page must have none.
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => problems.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await shell?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('is the production bundle that ships, although Vitest runs with NODE_ENV=test', async () => {
    const assets = path.join(outDir, 'assets');
    const scripts = (await readdir(assets)).filter((name) => name.endsWith('.js'));
    expect(scripts).toHaveLength(1);
    const bundle = await readFile(path.join(assets, scripts[0]!), 'utf8');
    // A sentence only React's development build carries.
    expect(bundle).not.toContain('Each child in a list should have a unique');
  });

  it('shows the status the core returned and removes the secret from the URL', async () => {
    await page.goto(shell.launchUrl);
    await page.getByTestId('this-device').waitFor();
    expect(await page.getByTestId('device-name').textContent()).toBe(FAKE_STATUS.device.name);
    expect(await page.getByTestId('device-id').textContent()).toBe(FAKE_STATUS.device.shortId);
    expect(await page.getByTestId('user').textContent()).toBe(FAKE_STATUS.user?.displayName);
    expect(await page.getByTestId('online').textContent()).toContain('Online');

    expect(page.url()).toBe(`${shell.url}/`);
    expect(page.url()).not.toContain(shell.secret);
    // The history entry was replaced, not added to: Back leads to where the tab was before.
    await page.goBack();
    expect(page.url()).toBe('about:blank');
    await page.goForward();
    expect(page.url()).toBe(`${shell.url}/`);
    expect(fake.calls.map((c) => c.method)).toEqual(expect.arrayContaining(['getStatus', 'getLibrary']));
  });

  it('lists the library and the store', async () => {
    await page.getByTestId('library-ascii-mandelbrot').waitFor();
    expect(await page.getByTestId('library-sudoku-solver').textContent()).toContain('Ready to install');
    await page.getByTestId('nav-store').click();
    await page.getByTestId('store-item-keyport-hello').waitFor();
    expect(await page.getByTestId('store-item-keyport-hello').textContent()).toContain('Free');
    await page.getByTestId('nav-library').click();
  });

  it('runs a program and shows its output', async () => {
    await page.getByTestId('library-ascii-mandelbrot').getByRole('button', { name: 'Run' }).click();
    await page.getByTestId('run-ascii-mandelbrot').waitFor();
    expect(await page.getByTestId('run-ascii-mandelbrot').textContent()).toContain('hello');
  });

  it('follows pushed events', async () => {
    fake.emit({
      name: 'status-changed',
      payload: { ...FAKE_STATUS, device: { ...FAKE_STATUS.device, name: 'Renamed by an event' } },
    });
    await expect.poll(() => page.getByTestId('device-name').textContent()).toBe('Renamed by an event');
  });

  it('keeps working after a reload (the secret is in sessionStorage, not the URL)', async () => {
    await page.reload();
    await page.getByTestId('this-device').waitFor();
    expect(page.url()).toBe(`${shell.url}/`);
  });

  it('without the secret, says how to open it instead of showing the app', async () => {
    const stranger = await browser.newPage();
    await stranger.goto(`${shell.url}/`);
    await stranger.getByTestId('startup-problem').waitFor();
    expect(await stranger.getByTestId('startup-problem').textContent()).toContain('npm start');
    await stranger.close();
  });

  it('ran without script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
