// @vitest-environment jsdom
/**
 * The transfer wizard: all five steps by keyboard alone, opening pre-filled (from the
 * library and from a device card), and a failed move that works on Try again, against
 * the MSW mock through the real core.
 */
import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useTransferStore } from '../src/stores/transfer.ts';
import { startHarness, type Account, type Harness, type HarnessDevice } from './harness.tsx';

const STEP_LABELS = ['Software', 'From', 'To', 'Review', 'Result'];

describe('the transfer wizard', () => {
  let h: Harness;
  let account: Account;
  let other: HarnessDevice;
  beforeEach(async () => {
    h = await startHarness();
    account = await h.signUp();
    await h.enrol('Studio PC');
    other = await h.otherDevice(account, 'Old laptop');
    for (const [softwareId, name] of [
      ['sketchpad', 'Sketchpad'],
      ['tracker', 'Tracker'],
    ] as const) {
      await h.publish({
        softwareId,
        name,
        summary: `${name} does things.`,
        priceCents: 500,
        version: '1.0.0',
      });
    }
  });
  afterEach(() => h.close());

  const deviceId = async (device: HarnessDevice) => (await device.core.getStatus()).device.deviceId;

  /** Which device each program is registered to, by name, as the provider says. */
  async function registeredTo(): Promise<Record<string, string>> {
    const where: Record<string, string> = {};
    for (const device of await h.device.core.listDevices()) {
      for (const softwareId of device.software) where[softwareId] = device.name;
    }
    return where;
  }

  async function openDevices() {
    h.renderApp();
    await h.user.click(await screen.findByTestId('nav-devices'));
    await screen.findAllByTestId('device-card');
    return screen.getByTestId('devices-screen');
  }

  const wizard = () => screen.getByTestId('transfer-wizard');

  /** The wizard shows step `n`: its count, the step list, and focus on its heading. */
  async function expectStep(n: number, title: string) {
    const heading = await within(wizard()).findByRole('heading', { level: 3, name: title });
    await waitFor(() => expect(document.activeElement).toBe(heading));
    expect(within(wizard()).getByText(`Step ${n} of 5`)).toBeTruthy();
    const current = within(wizard())
      .getByRole('list', { name: 'Steps' })
      .querySelector('[aria-current="step"]');
    expect(current?.textContent).toContain(STEP_LABELS[n - 1]);
    expect(screen.getByTestId('transfer-announcer').textContent).toBe(`Step ${n} of 5: ${title}`);
  }

  /** Press Tab until the element is focused (as a keyboard user would), failing after `max` presses. */
  async function tabTo(find: () => HTMLElement, max = 15) {
    for (let i = 0; i < max; i++) {
      await h.user.tab();
      if (document.activeElement === find()) return;
    }
    throw new Error(`Tab never reached ${find().outerHTML}`);
  }

  const radio = (group: string, name: string | RegExp) =>
    within(within(wizard()).getByRole('radiogroup', { name: group })).getByRole('radio', {
      name,
    }) as HTMLInputElement;

  it('moves a copy by keyboard alone, through all five steps', async () => {
    await h.device.core.buy({ softwareId: 'sketchpad' });
    await h.device.core.buy({ softwareId: 'tracker' });
    const page = await openDevices();

    await tabTo(() => within(page).getByRole('button', { name: 'Move software…' }));
    await h.user.keyboard('{Enter}');
    expect(screen.getByRole('dialog', { name: 'Move software between devices' })).toBe(wizard());

    // 1. Software: a radio group walked with the arrows; Enter picks and goes on.
    await expectStep(1, 'Which program do you want to move?');
    const software = 'Which program do you want to move?';
    await h.user.tab();
    expect(document.activeElement).toBe(radio(software, 'Sketchpad'));
    await h.user.keyboard('{ArrowDown}');
    expect(radio(software, 'Tracker').checked).toBe(true);
    await h.user.keyboard('{ArrowUp}');
    expect(radio(software, 'Sketchpad').checked).toBe(true);
    expect(radio(software, 'Tracker').checked).toBe(false);
    await h.user.keyboard('{Enter}');

    // 2. From: the device that has it is chosen already; the other one cannot be.
    await expectStep(2, 'Which device is it on now?');
    const source = 'Which device is it on now?';
    expect(radio(source, 'Studio PC This device').checked).toBe(true);
    expect(radio(source, 'Old laptop').disabled).toBe(true);
    await tabTo(() => within(wizard()).getByRole('button', { name: 'Next' }));
    await h.user.keyboard('{Enter}');

    // 3. To: the source cannot be the destination; Space picks one, Enter goes on.
    await expectStep(3, 'Which device should it move to?');
    const destination = 'Which device should it move to?';
    expect(radio(destination, 'Studio PC This device').disabled).toBe(true);
    expect(within(wizard()).getByRole('button', { name: 'Next' }).hasAttribute('disabled')).toBe(true);
    await h.user.tab();
    expect(document.activeElement).toBe(radio(destination, 'Old laptop'));
    await h.user.keyboard(' ');
    expect(radio(destination, 'Old laptop').checked).toBe(true);
    await h.user.keyboard('{Enter}');

    // 4. Review: what happens, in words; the button names the program.
    await expectStep(4, 'Check and confirm');
    const review = within(wizard()).getByTestId('transfer-review');
    expect(review.textContent).toContain('Sketchpad moves from Studio PC to Old laptop');
    expect(review.textContent).toContain('no new charge');
    expect(review.textContent).toContain('Studio PC will stop running it');
    expect(await registeredTo()).toEqual({ sketchpad: 'Studio PC', tracker: 'Studio PC' });
    await tabTo(() => within(wizard()).getByRole('button', { name: 'Move Sketchpad' }));
    await h.user.keyboard(' ');

    // 5. Result: moved, for real.
    await expectStep(5, 'Moved');
    expect(within(wizard()).getByTestId('transfer-done').textContent).toContain(
      'Sketchpad is now on Old laptop',
    );
    expect(await registeredTo()).toEqual({ sketchpad: 'Old laptop', tracker: 'Studio PC' });
    await tabTo(() => within(wizard()).getByRole('button', { name: 'Done' }));
    await h.user.keyboard('{Enter}');
    expect(screen.queryByTestId('transfer-wizard')).toBeNull();
    // The screen behind already shows where the copy is now.
    const laptop = screen.getAllByTestId('device-card').find((c) => c.dataset.deviceName === 'Old laptop')!;
    expect(within(laptop).getByTestId('device-program-count').textContent).toBe('1 program');
  });

  it('opens pre-filled at Review from the library, and Install now installs the copy here', async () => {
    await other.core.buy({ softwareId: 'tracker' });
    h.renderApp();
    const elsewhere = await screen.findByTestId('library-elsewhere');
    await h.user.click(within(elsewhere).getByRole('button', { name: 'Move to this device' }));

    await expectStep(4, 'Check and confirm');
    expect(within(wizard()).getByTestId('transfer-review').textContent).toContain(
      'Tracker moves from Old laptop to Studio PC',
    );
    await h.user.click(within(wizard()).getByRole('button', { name: 'Move Tracker' }));

    await expectStep(5, 'Moved');
    expect(within(wizard()).getByTestId('transfer-done').textContent).toContain(
      'Tracker is now on Studio PC',
    );
    expect(within(wizard()).getByRole('button', { name: 'Later' })).toBeTruthy();
    await h.user.click(within(wizard()).getByRole('button', { name: 'Install now' }));

    expect(screen.queryByTestId('transfer-wizard')).toBeNull();
    const row = within(await screen.findByTestId('library-here')).getByTestId('library-tracker');
    await waitFor(() => expect(within(row).getByTestId('copy-status').textContent).toBe('Installed'), {
      timeout: 5000,
    });
    expect((await h.device.core.getLibrary()).find((i) => i.softwareId === 'tracker')?.state).toBe(
      'installed',
    );
  });

  it('says in a sentence when the move fails, and Try again moves it', async () => {
    await other.core.buy({ softwareId: 'tracker' });
    h.renderApp();
    const elsewhere = await screen.findByTestId('library-elsewhere');
    await h.user.click(within(elsewhere).getByRole('button', { name: 'Move to this device' }));
    await expectStep(4, 'Check and confirm');

    h.mock.faults.failNext(2, '/v1/transfers'); // the first try and the core's retry
    await h.user.click(within(wizard()).getByRole('button', { name: 'Move Tracker' }));
    await expectStep(5, 'The move did not go through');
    const failed = within(wizard()).getByTestId('transfer-failed');
    const error = within(failed).getByRole('alert');
    expect(error.textContent).toMatch(/The store had a problem/);
    expect(error.textContent).not.toMatch(/\b500\b|Error:/);
    expect(failed.textContent).toContain('Nothing was moved. Tracker is still where it was.');
    expect(await registeredTo()).toEqual({ tracker: 'Old laptop' });

    await h.user.click(within(error).getByRole('button', { name: 'Try again' }));
    await expectStep(5, 'Moved');
    expect(within(wizard()).getByTestId('transfer-done').textContent).toContain(
      'Tracker is now on Studio PC',
    );
    expect(within(wizard()).queryByRole('alert')).toBeNull();
    expect(await registeredTo()).toEqual({ tracker: 'Studio PC' });
  });

  it("starts from a device card's Move software… with that device as the source", async () => {
    await other.core.buy({ softwareId: 'tracker' });
    const laptopId = await deviceId(other);
    const page = await openDevices();
    const cards = within(page).getAllByTestId('device-card');
    const laptop = cards.find((c) => c.dataset.deviceName === 'Old laptop')!;
    const studio = cards.find((c) => c.dataset.deviceName === 'Studio PC')!;
    // Nothing to move from a device with nothing registered.
    expect(within(studio).queryByRole('button', { name: /^Move software…/ })).toBeNull();

    await h.user.click(within(laptop).getByRole('button', { name: 'Move software… from Old laptop' }));
    await expectStep(1, 'Which program do you want to move?');
    expect(useTransferStore.getState().choices).toEqual({ sourceDeviceId: laptopId });
    await h.user.click(radio('Which program do you want to move?', 'Tracker'));
    await h.user.click(within(wizard()).getByRole('button', { name: 'Next' }));

    await expectStep(2, 'Which device is it on now?');
    expect(radio('Which device is it on now?', 'Old laptop').checked).toBe(true);
    await h.user.click(within(wizard()).getByRole('button', { name: 'Next' }));
    await expectStep(3, 'Which device should it move to?');
    await h.user.click(radio('Which device should it move to?', 'Studio PC This device'));
    await h.user.click(within(wizard()).getByRole('button', { name: 'Next' }));
    await expectStep(4, 'Check and confirm');
    expect(within(wizard()).getByTestId('transfer-review').textContent).toContain(
      'Tracker moves from Old laptop to Studio PC',
    );
    // Cancel leaves everything where it was.
    await h.user.click(within(wizard()).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByTestId('transfer-wizard')).toBeNull();
    expect(await registeredTo()).toEqual({ tracker: 'Old laptop' });
  });
});
