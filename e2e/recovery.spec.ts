/**
 * A machine after an OS reinstall, in real Chromium against the real provider: the same
 * hardware with a new machine-id (so a new device ID) and a new disk. On enrolment the
 * provider recognises it as the account's Desk PC; the first-run screen offers to move
 * the desk's programs here, moves them in one step and says so; they install and run
 * here, and the old desk's installation is refused. The screens are checked with axe,
 * at 800×600, and screenshotted.
 */
import { expect, test, type Page } from '@playwright/test';
import { hardware, machine, newMachineId } from '../test-support/machines.ts';
import { startAppDevice, type AppDevice } from './support/app-device.ts';
import { checkScreen } from './support/checks.ts';
import { startE2eProvider, type E2eProvider } from './support/provider.ts';

const ACCOUNT = { displayName: 'Grace Hopper', email: 'grace@example.test', password: 'compiler-first' };

let provider: E2eProvider;
let desk: AppDevice;
let reinstalled: AppDevice;
let page: Page;
const problems: string[] = [];

test.beforeAll(async () => {
  provider = await startE2eProvider();
  const board = hardware();
  desk = await startAppDevice(provider.url, 'desk', machine(newMachineId(), board));
  reinstalled = await startAppDevice(
    provider.url,
    'desk-reinstalled',
    machine(newMachineId(), { ...board, 'disk.serial': 'NEW-NVME-0042' }),
  );
});

test.afterAll(async () => {
  await reinstalled?.close();
  await desk?.close();
  await provider?.close();
});

test.afterEach(() => {
  // Script errors and CSP violations would show here; the app must have none.
  expect(problems).toEqual([]);
});

test('a reinstalled machine is recognised and takes its programs back in one step', async ({ browser }) => {
  await test.step('the Desk PC owns two programs and runs one', async () => {
    await desk.core.createAccount(ACCOUNT);
    await desk.core.enrolDevice({ name: 'Desk PC' });
    await desk.core.buy({ softwareId: 'ascii-mandelbrot' });
    await desk.core.buy({ softwareId: 'keyport-hello' });
    await desk.core.install({ softwareId: 'ascii-mandelbrot' });
    expect((await desk.core.run({ softwareId: 'ascii-mandelbrot' })).exitCode).toBe(0);
  });

  await test.step('the reinstalled machine: first run names its hardware, then enrols', async () => {
    await reinstalled.core.signIn(ACCOUNT);
    const context = await browser.newContext();
    page = await context.newPage();
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    await page.goto(reinstalled.launchUrl);
    const firstRun = page.getByTestId('first-run');
    await expect(firstRun.getByTestId('device-sources')).toHaveText('OS machine ID');
    await expect(firstRun.getByTestId('device-components')).toContainText('System disk serial number');
    await checkScreen(page, 'first-run-hardware');
    await firstRun.getByLabel('Name this device').fill('Desk PC (reinstalled)');
    await firstRun.getByRole('button', { name: 'Enrol this device' }).click();
  });

  await test.step('it looks like the Desk PC: move its programs here', async () => {
    const offer = page.getByTestId('recovery-offer');
    await expect(offer.getByRole('heading', { level: 1 })).toHaveText('This looks like your Desk PC');
    await expect(offer).toContainText('matches 4 of the 5 parts');
    await expect(offer.getByLabel('On Desk PC')).toContainText('ASCII Mandelbrot');
    await checkScreen(page, 'recovery-offer');
    await offer.getByRole('button', { name: 'Move its programs here' }).click();
    const done = page.getByTestId('recovery-done');
    await expect(done.getByRole('status')).toHaveText(
      '2 programs moved here from Desk PC, which is now retired. Install them from your library.',
    );
    await checkScreen(page, 'recovery-done');
    await done.getByRole('button', { name: 'Go to your library' }).click();
  });

  await test.step('they install and run here; the old desk is refused', async () => {
    const card = page.getByTestId('library-ascii-mandelbrot');
    await card.getByRole('button', { name: 'Install' }).click();
    await expect(card).toContainText('Installed', { timeout: 30_000 });
    expect((await reinstalled.core.run({ softwareId: 'ascii-mandelbrot' })).exitCode).toBe(0);
    await expect(desk.core.run({ softwareId: 'ascii-mandelbrot' })).rejects.toMatchObject({
      code: 'COPY_MOVED',
    });
    const devices = await reinstalled.core.listDevices();
    expect(devices.map((d) => [d.name, d.software])).toEqual([
      ['Desk PC (reinstalled)', ['ascii-mandelbrot', 'keyport-hello']],
    ]);
  });
});
