/**
 * What a real provider cannot do on demand, against the MSW mock (over real HTTP, with
 * the real core and the real renderer in Chromium): a download that drops part-way, a
 * provider answering 500, slow answers, and the provider going away altogether.
 */
import { randomBytes } from 'node:crypto';
import { expect, test, type Page } from '@playwright/test';
import { startMockServer, type RunningMockServer } from '../server-mock/server.ts';
import { startAppDevice, type AppDevice } from './support/app-device.ts';
import { checkScreen, expectAccessible, screenshot } from './support/checks.ts';

const PROGRAM = { softwareId: 'tidal-charts', name: 'Tidal Charts', priceCents: 799 };

let server: RunningMockServer;
let serverStopped = false;
let device: AppDevice;
let page: Page;
const problems: string[] = [];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  server = await startMockServer({ seedDemo: true });
  await server.mock.publish({
    ...PROGRAM,
    summary: 'Tide tables for every harbour, worked out offline.',
    files: { 'harbours.bin': randomBytes(3 * 1024 * 1024) },
  });
  device = await startAppDevice(server.url, 'fault-desk');
  await device.core.createAccount({
    email: 'grace@example.test',
    password: 'compiler-pioneer',
    displayName: 'Grace Hopper',
  });
  await device.core.enrolDevice({ name: 'Harbour desk' });
  await device.core.buy({ softwareId: PROGRAM.softwareId });
  page = await (await browser.newContext()).newPage();
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(device.launchUrl);
  await expect(page.getByTestId('library-screen')).toBeVisible();
});

test.afterAll(async () => {
  await device?.close();
  if (!serverStopped) await server?.close();
});

test.afterEach(() => {
  expect(problems).toEqual([]);
  server.mock.faults.reset();
});

test('a download that drops part-way resumes and completes', async () => {
  const total = (await device.core.getSoftware({ softwareId: PROGRAM.softwareId })).releases[0]!.sizeBytes;
  server.mock.faults.dropNextDownload(Math.floor(total / 3));
  const row = page.getByTestId(`library-${PROGRAM.softwareId}`);
  await row.getByRole('button', { name: 'Install' }).click();
  await expect(row).toContainText('Installed', { timeout: 30_000 });
  // The drop happened (the fault was used up) and nothing shows as failed.
  expect(server.mock.faults.snapshot().dropDownload).toBeNull();
  await expect(row.getByRole('alert')).toHaveCount(0);
  await row.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId(`run-output-${PROGRAM.softwareId}`)).toContainText('hello from 1.0.0');
});

test('a provider 500 shows a sentence and a way to retry', async () => {
  // Three: the app retries a failed read twice on its own before it gives up and says so.
  server.mock.faults.failNext(3, '/v1/registrations');
  await page.getByTestId('nav-store').click();
  await page.getByTestId('nav-library').click();
  await page.getByRole('button', { name: 'Check for changes' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'The store had a problem' });
  await expect(alert).toBeVisible();
  await expect(alert).not.toContainText('500');
  await checkScreen(page, 'library-error');
  await alert.getByRole('button', { name: 'Try again' }).click();
  await expect(alert).toBeHidden();
  await expect(page.getByTestId(`library-${PROGRAM.softwareId}`)).toBeVisible();

  // A failed purchase says so in the dialog, and buying again works.
  server.mock.faults.failNext(3, '/v1/purchases');
  await page.getByTestId('nav-store').click();
  await page.getByTestId('store-item-sudoku-solver').getByRole('button').first().click();
  await page.getByTestId('software-detail').getByRole('button', { name: /^Buy/ }).click();
  const dialog = page.getByTestId('buy-dialog');
  await dialog.getByRole('button', { name: /^Confirm/ }).click();
  await expect(dialog.getByRole('alert')).toContainText('The store had a problem');
  await screenshot(page, 'buy-error');
  await dialog
    .getByRole('button', { name: /^Confirm|Try again/ })
    .first()
    .click();
  await expect(dialog).toContainText('Sudoku Solver is yours');
  await page.keyboard.press('Escape');
});

test('slow answers show loading states, then the content', async () => {
  server.mock.faults.setLatency(1500);
  await page.getByTestId('nav-library').click();
  await page.getByTestId('nav-store').click();
  await page.getByRole('searchbox', { name: 'Search the store' }).fill('tidal');
  // What was on screen stays, marked as being refreshed, until the slow answer comes.
  await expect(page.getByTestId('store-count')).toHaveText('Searching…');
  await screenshot(page, 'store-loading');
  await expect(page.getByTestId(`store-item-${PROGRAM.softwareId}`)).toBeVisible({ timeout: 10_000 });
  await expect(page.getByTestId('store-item-keyport-hello')).toHaveCount(0);
  server.mock.faults.setLatency(0);
});

test('offline: a banner says what still works, and installed programs still run', async () => {
  await page.getByTestId('nav-library').click();
  await server.close();
  serverStopped = true;
  await page.getByRole('button', { name: 'Check for changes' }).click();
  const banner = page.getByTestId('offline-banner');
  await expect(banner).toBeVisible({ timeout: 20_000 });
  await expect(banner).toContainText('still run');
  await expectAccessible(page, 'offline library');
  await screenshot(page, 'offline');
  const row = page.getByTestId(`library-${PROGRAM.softwareId}`);
  await row.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId(`run-${PROGRAM.softwareId}`)).toContainText('Exited with code 0');
});
