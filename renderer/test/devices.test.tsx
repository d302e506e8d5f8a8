// @vitest-environment jsdom
/**
 * The devices screen: loading and error, the user's devices with this one highlighted,
 * renaming, retiring (refused while software is registered, confirmed otherwise, and this
 * device back to the first run) and the registered-information table, against the MSW
 * mock through the real core.
 */
import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Account, type Harness } from './harness.tsx';

describe('the devices screen', () => {
  let h: Harness;
  let account: Account;
  beforeEach(async () => {
    h = await startHarness();
    account = await h.signUp();
    await h.enrol('Studio PC');
  });
  afterEach(() => h.close());

  async function publish(softwareId: string, name: string) {
    await h.publish({ softwareId, name, summary: `${name} does things.`, priceCents: 500, version: '1.0.0' });
  }

  /** Render the app, let the library settle, then go to Devices. */
  async function openDevices() {
    h.renderApp();
    await screen.findByTestId('library-screen');
    await waitFor(() => expect(screen.queryByTestId('skeleton')).toBeNull());
    await h.user.click(screen.getByTestId('nav-devices'));
    return screen.findByTestId('devices-screen');
  }

  const card = (name: string) =>
    waitFor(() => {
      const found = screen.queryAllByTestId('device-card').find((c) => c.dataset.deviceName === name);
      if (!found) throw new Error(`No card for ${name}`);
      return found;
    });

  const deviceNames = async () => (await h.device.core.listDevices()).map((d) => d.name).sort();

  it('shows placeholders while the devices load', async () => {
    h.renderApp();
    const nav = await screen.findByTestId('nav-devices');
    await waitFor(() => expect(screen.queryByTestId('skeleton')).toBeNull());
    h.mock.faults.setLatency(600);
    await h.user.click(nav);
    const page = await screen.findByTestId('devices-screen');
    expect(within(page).getByRole('heading', { level: 1, name: 'Devices' })).toBeTruthy();
    const skeleton = within(page).getByRole('status', { name: 'Loading your devices…' });
    expect(skeleton.dataset.testid).toBe('skeleton');
    expect(within(page).queryByTestId('device-card')).toBeNull();

    h.mock.faults.setLatency(0);
    expect(await card('Studio PC')).toBeTruthy();
    expect(within(page).queryByRole('status', { name: 'Loading your devices…' })).toBeNull();
  });

  it('explains a failed load in a sentence and loads on Try again', async () => {
    h.renderApp();
    await screen.findByTestId('library-screen');
    await waitFor(() => expect(screen.queryByTestId('skeleton')).toBeNull());
    h.mock.faults.failNext(2, '/v1/devices'); // the first try and the core's retry
    await h.user.click(screen.getByTestId('nav-devices'));

    const error = await screen.findByTestId('devices-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toMatch(/The store had a problem/);
    expect(error.textContent).not.toMatch(/\b500\b|Error:/);
    expect(screen.queryByTestId('device-card')).toBeNull();

    await h.user.click(within(error).getByRole('button', { name: 'Try again' }));
    expect(await card('Studio PC')).toBeTruthy();
    expect(screen.queryByTestId('devices-error')).toBeNull();
  });

  it('lists every device and highlights this one', async () => {
    await h.otherDevice(account, 'Old laptop');
    const page = await openDevices();

    const here = await card('Studio PC');
    const there = await card('Old laptop');
    expect(within(page).getAllByTestId('device-card')).toHaveLength(2);
    expect(here.dataset.thisDevice).toBe('true');
    expect(within(here).getByText('This device')).toBeTruthy();
    expect(there.dataset.thisDevice).toBeUndefined();
    expect(within(there).queryByText('This device')).toBeNull();
    expect(within(there).getByRole('heading', { name: 'Old laptop' })).toBeTruthy();
  });

  it('renames a device: Cancel keeps the name, Save changes it everywhere', async () => {
    await openDevices();
    let here = await card('Studio PC');

    await h.user.click(within(here).getByRole('button', { name: 'Rename Studio PC' }));
    let input = within(here).getByLabelText('Device name');
    expect(document.activeElement).toBe(input);
    await h.user.clear(input);
    await h.user.type(input, 'Throwaway');
    await h.user.click(within(here).getByRole('button', { name: 'Cancel' }));
    expect(within(here).queryByLabelText('Device name')).toBeNull();
    expect(within(here).getByRole('heading', { name: 'Studio PC' })).toBeTruthy();
    expect(await deviceNames()).toEqual(['Studio PC']);

    await h.user.click(within(here).getByRole('button', { name: 'Rename Studio PC' }));
    input = within(here).getByLabelText('Device name');
    expect((input as HTMLInputElement).value).toBe('Studio PC');
    await h.user.clear(input);
    await h.user.type(input, 'Studio Mac');
    await h.user.click(within(here).getByRole('button', { name: 'Save' }));

    here = await card('Studio Mac');
    expect(within(here).getByRole('heading', { name: 'Studio Mac' })).toBeTruthy();
    expect(within(here).queryByLabelText('Device name')).toBeNull();
    // Focus comes back to the button that opened the form.
    const rename = within(here).getByRole('button', { name: 'Rename Studio Mac' });
    await waitFor(() => expect(document.activeElement).toBe(rename));
    expect(await deviceNames()).toEqual(['Studio Mac']);
    // The sidebar names this device too.
    await waitFor(() => expect(screen.getByTestId('device-name').textContent).toBe('Studio Mac'));
  });

  it('refuses to retire a device while software is registered to it, and says why', async () => {
    await publish('sketchpad', 'Sketchpad');
    await h.device.core.buy({ softwareId: 'sketchpad' });
    await openDevices();
    const here = await card('Studio PC');

    expect(within(here).getByTestId('device-program-count').textContent).toBe('1 program');
    const retire = within(here).getByRole('button', { name: 'Retire Studio PC' });
    expect(retire.hasAttribute('disabled')).toBe(true);
    const reason = within(here).getByTestId('retire-reason');
    expect(reason.textContent).toBe('Move its 1 program to another device first, then it can be retired.');
    expect(retire.getAttribute('aria-describedby')).toBe(reason.id);
    await h.user.click(retire);
    expect(screen.queryByTestId('retire-dialog')).toBeNull();
  });

  it('retires an empty device, only after confirming', async () => {
    await h.otherDevice(account, 'Old laptop');
    await openDevices();
    const there = await card('Old laptop');
    expect(within(there).getByTestId('retire-reason').textContent).toBe(
      'Nothing is registered to it, so it can be retired.',
    );

    await h.user.click(within(there).getByRole('button', { name: 'Retire Old laptop' }));
    let dialog = await screen.findByRole('dialog', { name: 'Retire Old laptop?' });
    expect(dialog.dataset.testid).toBe('retire-dialog');
    await h.user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByTestId('retire-dialog')).toBeNull();
    expect(await deviceNames()).toEqual(['Old laptop', 'Studio PC']);
    // Cancelled: focus goes back to the button that opened the dialog.
    expect(document.activeElement).toBe(within(there).getByRole('button', { name: 'Retire Old laptop' }));

    await h.user.click(within(there).getByRole('button', { name: 'Retire Old laptop' }));
    dialog = await screen.findByTestId('retire-dialog');
    await h.user.click(within(dialog).getByRole('button', { name: 'Retire device' }));
    await waitFor(() => expect(screen.getAllByTestId('device-card')).toHaveLength(1));
    expect(screen.queryByTestId('retire-dialog')).toBeNull();
    // Retired: its card (and the button that opened the dialog) is gone; focus lands on
    // the content area rather than falling out of the page.
    await waitFor(() => expect(document.activeElement?.id).toBe('content'));
    expect((await card('Studio PC')).dataset.thisDevice).toBe('true');
    expect(await deviceNames()).toEqual(['Studio PC']);
  });

  it('retiring this device goes back to the first-run screen', async () => {
    await h.otherDevice(account, 'Old laptop');
    await openDevices();
    const here = await card('Studio PC');

    await h.user.click(within(here).getByRole('button', { name: 'Retire Studio PC' }));
    const dialog = await screen.findByTestId('retire-dialog');
    expect(dialog.textContent).toMatch(/This is the device you are using/);
    await h.user.click(within(dialog).getByRole('button', { name: 'Retire device' }));

    expect(await screen.findByTestId('first-run')).toBeTruthy();
    expect(screen.queryByTestId('devices-screen')).toBeNull();
    expect((await h.device.core.getStatus()).device.enrolled).toBe(false);
    expect(await deviceNames()).toEqual(['Old laptop']);
  });

  it('shows in a table which device each program is registered to', async () => {
    await publish('sketchpad', 'Sketchpad');
    await publish('tracker', 'Tracker');
    await publish('atlas', 'Atlas');
    const other = await h.otherDevice(account, 'Old laptop');
    await h.device.core.buy({ softwareId: 'sketchpad' });
    await other.core.buy({ softwareId: 'tracker' });
    await other.core.buy({ softwareId: 'atlas' });
    await openDevices();

    const table = await screen.findByRole('table', { name: /which device each program is registered to/ });
    expect(table.dataset.testid).toBe('registration-table');
    const columns = within(table)
      .getAllByRole('columnheader')
      .map((th) => th.textContent);
    expect(columns[0]).toBe('Program');
    expect(columns.slice(1).sort()).toEqual(['Old laptop', 'Studio PC (this device)']);
    expect(
      within(table)
        .getAllByRole('rowheader')
        .map((th) => th.textContent),
    ).toEqual(['Atlas', 'Sketchpad', 'Tracker']);

    /** The column headers of the cells that say Registered in a program's row. */
    const registeredOn = (program: string) => {
      const row = within(table).getByRole('row', { name: new RegExp(`^${program}`) });
      const cells = within(row).getAllByRole('cell');
      expect(cells).toHaveLength(2);
      return within(row)
        .getAllByRole('cell', { name: 'Registered' })
        .map((cell) => columns[cells.indexOf(cell) + 1]);
    };
    expect(registeredOn('Sketchpad')).toEqual(['Studio PC (this device)']);
    expect(registeredOn('Tracker')).toEqual(['Old laptop']);
    expect(registeredOn('Atlas')).toEqual(['Old laptop']);
    const sketchpad = within(table).getByRole('row', { name: /^Sketchpad/ });
    expect(within(sketchpad).getAllByRole('cell', { name: 'Not registered' })).toHaveLength(1);
    expect(screen.queryByTestId('registration-empty')).toBeNull();
  });

  it('says when nothing is owned yet and leads to the store', async () => {
    await openDevices();
    const empty = await screen.findByTestId('registration-empty');
    expect(within(empty).getByRole('heading', { name: 'You do not own any programs yet' })).toBeTruthy();
    expect(screen.queryByTestId('registration-table')).toBeNull();
    await h.user.click(within(empty).getByRole('button', { name: 'Browse the store' }));
    expect(await screen.findByTestId('store-screen')).toBeTruthy();
  });
});
