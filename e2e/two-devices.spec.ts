/**
 * The whole story in real Chromium against the real provider: one person, two devices
 * (two browser contexts, each its own app with its own profile, keychain namespace and
 * simulated device ID). Create an account, enrol both, buy on A, install with visible
 * progress, run it, move the copy A→B in the wizard, install and run it on B, and A
 * shows it moved and cannot run it. Every screen on the way is screenshotted, checked
 * with axe, and checked at 1024×700.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { startAppDevice, type AppDevice } from './support/app-device.ts';
import { checkScreen, expectAccessible, screenshot } from './support/checks.ts';
import { BIG_PROGRAM, startE2eProvider, type E2eProvider } from './support/provider.ts';
import { startSlowLink, type SlowLink } from './support/slow-link.ts';

const ACCOUNT = { displayName: 'Ada Lovelace', email: 'ada@example.test', password: 'analytical-engine' };
const LAPTOP_A = "Ada's old laptop";
const LAPTOP_B = "Ada's new laptop";

let provider: E2eProvider;
let link: SlowLink;
let deviceA: AppDevice;
let deviceB: AppDevice;
let pageA: Page;
let pageB: Page;

async function openApp(browser: Browser, device: AppDevice): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  await page.goto(device.launchUrl);
  pages.set(page, problems);
  return page;
}
const pages = new Map<Page, string[]>();

test.beforeAll(async () => {
  provider = await startE2eProvider();
  // ~3 MB/s: the 12 MiB atlas takes about four seconds to download.
  link = await startSlowLink(provider.url, { bytesPerSecond: 3 * 1024 * 1024 });
  deviceA = await startAppDevice(link.url, 'laptop-a');
  deviceB = await startAppDevice(link.url, 'laptop-b');
});

test.afterAll(async () => {
  await deviceA?.close();
  await deviceB?.close();
  await link?.close();
  await provider?.close();
});

test.afterEach(() => {
  // Script errors and CSP violations would show here; the app must have none.
  for (const [, problems] of pages) expect(problems).toEqual([]);
});

test('buy on one device, install, run, move it to another, run it there; the first cannot', async ({
  browser,
}) => {
  pageA = await openApp(browser, deviceA);
  pageB = await openApp(browser, deviceB);
  const statusA = await deviceA.core.getStatus();

  await test.step('A: create an account', async () => {
    await expect(pageA.getByTestId('sign-in-form')).toBeVisible();
    await checkScreen(pageA, 'sign-in');
    await pageA.getByRole('tab', { name: 'Create account' }).click();
    await checkScreen(pageA, 'create-account');
    await pageA.getByLabel('Your name').fill(ACCOUNT.displayName);
    await pageA.getByLabel('Email').fill(ACCOUNT.email);
    await pageA.getByLabel('Password').fill(ACCOUNT.password);
    await pageA.getByRole('button', { name: 'Create account' }).click();
  });

  await test.step('A: first run shows the device ID and its sources; enrol it by name', async () => {
    const firstRun = pageA.getByTestId('first-run');
    await expect(firstRun.getByTestId('device-id')).toHaveText(statusA.device.shortId);
    await expect(firstRun.getByTestId('device-sources')).toContainText('Simulated device name');
    await checkScreen(pageA, 'first-run');
    await firstRun.getByLabel('Name this device').fill(LAPTOP_A);
    await firstRun.getByRole('button', { name: 'Enrol this device' }).click();
    await expect(pageA.getByTestId('device-name')).toHaveText(LAPTOP_A);
  });

  await test.step('B: sign in and enrol the second device', async () => {
    await pageB.getByLabel('Email').fill(ACCOUNT.email);
    await pageB.getByLabel('Password').fill(ACCOUNT.password);
    await pageB.getByRole('button', { name: 'Sign in' }).click();
    await pageB.getByTestId('first-run').getByLabel('Name this device').fill(LAPTOP_B);
    await pageB.getByRole('button', { name: 'Enrol this device' }).click();
    await expect(pageB.getByTestId('device-name')).toHaveText(LAPTOP_B);
  });

  await test.step('A: an empty library, then the store', async () => {
    await expect(pageA.getByTestId('library-screen')).toBeVisible();
    await expect(pageA.getByText('Your library is empty')).toBeVisible();
    await checkScreen(pageA, 'library-empty');
    await pageA.getByTestId('nav-store').click();
    await expect(pageA.getByTestId(`store-item-${BIG_PROGRAM.softwareId}`)).toBeVisible();
    await expect(pageA.getByTestId('store-item-keyport-hello')).toContainText('Free');
    await checkScreen(pageA, 'store');
  });

  await test.step('A: the detail page, and buying names this device', async () => {
    await pageA.getByTestId(`store-item-${BIG_PROGRAM.softwareId}`).getByRole('button').first().click();
    const detail = pageA.getByTestId('software-detail');
    await expect(detail.getByRole('heading', { level: 1 })).toHaveText(BIG_PROGRAM.name);
    await expect(detail).toContainText('3.2.0');
    await expect(detail).toContainText('$12.99');
    await checkScreen(pageA, 'store-detail');
    await detail.getByRole('button', { name: /^Buy/ }).click();
    const dialog = pageA.getByTestId('buy-dialog');
    await expect(dialog).toContainText(LAPTOP_A);
    await expect(dialog).toContainText('$12.99');
    await checkScreen(pageA, 'buy-confirmation');
    await dialog.getByRole('button', { name: /^Confirm/ }).click();
    await expect(dialog).toContainText(`${BIG_PROGRAM.name} is yours`);
    await checkScreen(pageA, 'buy-done');
    await dialog.getByRole('button', { name: 'Go to library' }).click();
  });

  await test.step('A: install with visible progress (percent, bytes, speed, time left)', async () => {
    const row = pageA.getByTestId(`library-${BIG_PROGRAM.softwareId}`);
    await row.getByRole('button', { name: 'Install' }).click();
    const progress = pageA.getByTestId(`progress-${BIG_PROGRAM.softwareId}`);
    const percent = progress.getByTestId('progress-percent');
    // Catch the bar part-way: a percent strictly between the ends, with bytes and a rate.
    await expect(async () => {
      const value = Number((await percent.textContent())?.replace('%', ''));
      expect(value).toBeGreaterThanOrEqual(15);
      expect(value).toBeLessThanOrEqual(85);
    }).toPass({ intervals: [100], timeout: 20_000 });
    await expect(progress).toContainText(/ of 12(\.0)? MiB|of 12\.\d MB/);
    await expect(progress).toContainText(/\/s/);
    await expect(progress).toContainText(/left/);
    await screenshot(pageA, 'library-installing');
    await expectAccessible(pageA, 'library during an install');
    await expect(row).toContainText('Installed', { timeout: 30_000 });
  });

  await test.step('A: run it and see its output, exit code and log', async () => {
    const row = pageA.getByTestId(`library-${BIG_PROGRAM.softwareId}`);
    await row.getByRole('button', { name: 'Run' }).click();
    const run = pageA.getByTestId(`run-${BIG_PROGRAM.softwareId}`);
    await expect(run).toContainText('Exited with code 0');
    await expect(pageA.getByTestId(`run-output-${BIG_PROGRAM.softwareId}`)).toContainText(
      'KiB of stars loaded',
    );
    await checkScreen(pageA, 'library-ran');
    await run.getByRole('button', { name: 'Open log' }).click();
    const log = pageA.getByTestId('log-dialog');
    await expect(log).toContainText('clear skies');
    await expect(log).toContainText('exited with code 0');
    await checkScreen(pageA, 'run-log');
    await pageA.keyboard.press('Escape');
    await expect(log).toBeHidden();
  });

  await test.step('B: sees the copy on the other laptop and moves it here in the wizard', async () => {
    await pageB.getByRole('button', { name: 'Check for changes' }).click();
    const elsewhere = pageB.getByTestId('library-elsewhere');
    await expect(elsewhere).toContainText(BIG_PROGRAM.name);
    await expect(elsewhere).toContainText(`Registered to ${LAPTOP_A}`);
    await checkScreen(pageB, 'library-other-devices');
    await elsewhere.getByRole('button', { name: 'Move to this device' }).click();
    const wizard = pageB.getByTestId('transfer-wizard');
    // Pre-filled from the library: straight to the review.
    await expect(wizard).toContainText(`${BIG_PROGRAM.name} moves from ${LAPTOP_A} to ${LAPTOP_B}`);
    await expect(wizard).toContainText('no new charge');
    await expect(wizard).toContainText(`${LAPTOP_A} will stop running it`);
    await checkScreen(pageB, 'transfer-review');
    await wizard.getByRole('button', { name: `Move ${BIG_PROGRAM.name}` }).click();
    await expect(wizard).toContainText(`${BIG_PROGRAM.name} is now on ${LAPTOP_B}`);
    await checkScreen(pageB, 'transfer-done');
    await wizard.getByRole('button', { name: 'Install now' }).click();
  });

  await test.step('B: installs and runs it', async () => {
    const row = pageB.getByTestId(`library-${BIG_PROGRAM.softwareId}`);
    await expect(pageB.getByTestId(`progress-${BIG_PROGRAM.softwareId}`)).toBeVisible();
    await expect(row).toContainText('Installed', { timeout: 30_000 });
    await row.getByRole('button', { name: 'Run' }).click();
    await expect(pageB.getByTestId(`run-${BIG_PROGRAM.softwareId}`)).toContainText('Exited with code 0');
    await expect(pageB.getByTestId(`run-output-${BIG_PROGRAM.softwareId}`)).toContainText(
      'KiB of stars loaded',
    );
  });

  await test.step('A: shows the copy moved, and cannot run it', async () => {
    await pageA.getByRole('button', { name: 'Check for changes' }).click();
    const moved = pageA.getByTestId('library-moved');
    await expect(moved).toContainText(BIG_PROGRAM.name);
    await expect(moved).toContainText('no longer runs here');
    await expect(moved.getByRole('button', { name: 'Run' })).toHaveCount(0);
    await checkScreen(pageA, 'library-moved');
    await moved.getByRole('button', { name: 'Uninstall' }).click();
    await expect(pageA.getByTestId('uninstall-dialog')).toBeVisible();
    await checkScreen(pageA, 'uninstall-confirmation');
    await pageA.getByTestId('uninstall-dialog').getByRole('button', { name: 'Cancel' }).click();
    // Not only hidden in the window: the app itself refuses to start it.
    await expect(deviceA.core.run({ softwareId: BIG_PROGRAM.softwareId })).rejects.toMatchObject({
      code: 'COPY_MOVED',
    });
  });

  await test.step('B: the devices screen and the registered information', async () => {
    await pageB.getByTestId('nav-devices').click();
    const table = pageB.getByTestId('registration-table');
    await expect(table).toBeVisible();
    const row = table.getByRole('row', { name: new RegExp(BIG_PROGRAM.name) });
    const headers = await table.getByRole('columnheader').allTextContents();
    const cells = await row.getByRole('cell').allTextContents();
    const registeredOn = headers
      .slice(1)
      .filter((_, i) => /Registered/.test(cells[i] ?? '') && !/Not/.test(cells[i] ?? ''));
    expect(registeredOn).toHaveLength(1);
    expect(registeredOn[0]).toContain(LAPTOP_B);
    await checkScreen(pageB, 'devices');
    await pageB.getByRole('button', { name: `Retire ${LAPTOP_A}` }).click();
    await expect(pageB.getByTestId('retire-dialog')).toBeVisible();
    await checkScreen(pageB, 'retire-confirmation');
    await pageB.getByTestId('retire-dialog').getByRole('button', { name: 'Cancel' }).click();
  });

  await test.step('B: the wizard from the start, step by step', async () => {
    await pageB.getByRole('button', { name: 'Move software…', exact: true }).click();
    const wizard = pageB.getByTestId('transfer-wizard');
    await expect(wizard).toContainText('Step 1 of 5');
    await checkScreen(pageB, 'transfer-wizard');
    await wizard.getByRole('radio', { name: new RegExp(BIG_PROGRAM.name) }).check();
    await wizard.getByRole('button', { name: 'Next' }).click();
    await expect(wizard).toContainText('Step 2 of 5');
    await checkScreen(pageB, 'transfer-source');
    await wizard.getByRole('button', { name: 'Next' }).click();
    await expect(wizard).toContainText('Step 3 of 5');
    await checkScreen(pageB, 'transfer-destination');
    await pageB.keyboard.press('Escape');
    await expect(wizard).toBeHidden();
  });
});
