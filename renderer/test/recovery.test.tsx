// @vitest-environment jsdom
/**
 * The first run on a machine the provider recognises (issue 13): after enrolling, a
 * machine whose hardware mostly matches an older device of the account is offered that
 * device's programs in one step; declining changes nothing. Also: a generated device ID
 * is said on the first-run screen, and a device two installations take turns on is
 * flagged on the Devices page; at the device limit, a recognised machine replaces the
 * device it looks like. Real core with injected identity readers, against the
 * mock provider over HTTP.
 */
import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { hardware, machine, newMachineId } from '../../test-support/machines.ts';
import { startHarness, type Harness } from './harness.tsx';

describe('the first run on a changed machine', () => {
  let h: Harness;
  afterEach(() => h.close());

  /**
   * The account's Desk PC (an older device, holding a program) and this window's machine:
   * the same hardware with a new disk and a reinstalled OS, or altogether other hardware.
   */
  async function deskAndThisMachine(thisMachine: 'same board, new disk' | 'other hardware') {
    const desk = hardware();
    const here =
      thisMachine === 'same board, new disk' ? { ...desk, 'disk.serial': 'NEW-DISK-9' } : hardware();
    h = await startHarness({ readers: machine(newMachineId(), here) });
    await h.publish({ softwareId: 'sketchpad', name: 'Sketchpad', summary: 'Draws.', priceCents: 500 });
    const account = await h.signUp();
    const old = await h.otherDevice(account, 'Desk PC', machine(newMachineId(), desk));
    await old.core.buy({ softwareId: 'sketchpad' });
    h.renderApp();
    const firstRun = await screen.findByTestId('first-run');
    const components = within(firstRun).getByTestId('device-components').textContent;
    expect(components).toContain('System disk serial number');
    expect(within(firstRun).getByTestId('device-sources').textContent).toBe('OS machine ID');
    await h.user.click(within(firstRun).getByRole('button', { name: 'Enrol this device' }));
    return old;
  }

  it('offers the recognised device’s programs, and moves them here in one step', async () => {
    const old = await deskAndThisMachine('same board, new disk');
    const offer = await screen.findByTestId('recovery-offer');
    expect(within(offer).getByRole('heading', { level: 1 }).textContent).toBe('This looks like your Desk PC');
    expect(offer.textContent).toContain('matches 4 of the 5 parts');
    expect(offer.textContent).toContain('Move its 1 program here?');
    await waitFor(() => expect(within(offer).getByLabelText('On Desk PC').textContent).toBe('Sketchpad'));

    await h.user.click(within(offer).getByRole('button', { name: 'Move its programs here' }));
    const done = await screen.findByTestId('recovery-done');
    expect(within(done).getByRole('status').textContent).toBe(
      '1 program moved here from Desk PC, which is now retired. Install it from your library.',
    );
    // The provider agrees: the copy is here, and the old device is gone.
    const devices = await h.device.core.listDevices();
    expect(devices.map((d) => [d.isThisDevice, d.software])).toEqual([[true, ['sketchpad']]]);
    expect((await old.core.getLibrary())[0]?.state).not.toBe('ready-to-install');

    await h.user.click(within(done).getByRole('button', { name: 'Go to your library' }));
    const library = await screen.findByTestId('library-screen');
    await waitFor(() => expect(within(library).getByRole('button', { name: /Install/ })).toBeTruthy());
  });

  it('changes nothing when the person says it is another machine', async () => {
    await deskAndThisMachine('same board, new disk');
    const offer = await screen.findByTestId('recovery-offer');
    await h.user.click(within(offer).getByRole('button', { name: /Not now/ }));
    await screen.findByTestId('library-screen');
    const devices = await h.device.core.listDevices();
    const software = Object.fromEntries(devices.map((d) => [d.isThisDevice ? 'here' : d.name, d.software]));
    expect(software).toEqual({ 'Desk PC': ['sketchpad'], here: [] });
  });

  it('offers nothing when most of the hardware differs', async () => {
    await deskAndThisMachine('other hardware');
    await screen.findByTestId('library-screen');
    expect(screen.queryByTestId('recovery-offer')).toBeNull();
  });
});

describe('a reinstalled machine at the device limit', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('is offered to replace the device it looks like, and is enrolled in its place', async () => {
    const desk = hardware();
    h = await startHarness({
      readers: machine(newMachineId(), { ...desk, 'disk.serial': 'NEW-DISK-7' }),
      settings: { deviceLimit: 2 },
    });
    await h.publish({ softwareId: 'sketchpad', name: 'Sketchpad', summary: 'Draws.', priceCents: 500 });
    const account = await h.signUp();
    const old = await h.otherDevice(account, 'Desk PC', machine(newMachineId(), desk));
    await old.core.buy({ softwareId: 'sketchpad' });
    await h.otherDevice(account, 'Laptop', machine(newMachineId(), hardware()));
    h.renderApp();
    const firstRun = await screen.findByTestId('first-run');
    await h.user.click(within(firstRun).getByRole('button', { name: 'Enrol this device' }));

    const limit = await screen.findByTestId('device-limit');
    const offer = await within(limit).findByTestId('limit-recognised');
    expect(offer.textContent).toContain('This looks like your Desk PC after a hardware change');
    // Above the list of the account's devices.
    await within(limit).findByRole('button', { name: 'Retire Laptop' });
    expect(
      offer.compareDocumentPosition(within(limit).getByRole('list')) & Node.DOCUMENT_POSITION_FOLLOWING,
    ).toBeTruthy();

    await h.user.click(within(offer).getByRole('button', { name: 'Replace Desk PC with this machine' }));
    const done = await screen.findByTestId('recovery-done');
    expect(within(done).getByRole('status').textContent).toBe(
      '1 program moved here from Desk PC, which is now retired. Install it from your library.',
    );
    const devices = await h.device.core.listDevices();
    const software = Object.fromEntries(devices.map((d) => [d.isThisDevice ? 'here' : d.name, d.software]));
    expect(software).toEqual({ Laptop: [], here: ['sketchpad'] });
    await h.user.click(within(done).getByRole('button', { name: 'Go to your library' }));
    await screen.findByTestId('library-screen');
  });
});

describe('a device ID the app had to generate', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('is said on the first-run screen, with what it means', async () => {
    h = await startHarness({ readers: machine(null, hardware()) });
    await h.signUp();
    h.renderApp();
    const firstRun = await screen.findByTestId('first-run');
    expect(within(firstRun).getByTestId('device-sources').textContent).toBe(
      'Install ID generated by Keyport',
    );
    expect(within(firstRun).getByTestId('generated-id-note').textContent).toMatch(
      /no OS install ID, so this device.s ID was generated; it changes if the profile is deleted/,
    );
  });

  it('is not mentioned where the OS has an install ID', async () => {
    h = await startHarness({ readers: machine(newMachineId(), hardware()) });
    await h.signUp();
    h.renderApp();
    const firstRun = await screen.findByTestId('first-run');
    expect(within(firstRun).queryByTestId('generated-id-note')).toBeNull();
  });
});

describe('a device ID in use on two machines', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('is flagged on the Devices page, with what to do', async () => {
    // A cloned system: one machine-id on two machines with other hardware (another MAC).
    const machineId = newMachineId();
    const original = hardware();
    h = await startHarness({ readers: machine(machineId, original) });
    const account = await h.signUp();
    await h.enrol('Studio PC');
    await h.otherDevice(
      account,
      'Studio PC',
      machine(machineId, { ...original, 'net.mac': '02:00:00:00:00:01' }),
    );
    // The original comes back: two installations with conflicting hardware took turns.
    await h.enrol('Studio PC');

    h.renderApp();
    await screen.findByTestId('library-screen');
    await h.user.click(screen.getByTestId('nav-devices'));
    const card = await screen.findByTestId('device-card');
    expect(within(card).getByText('In use on two machines')).toBeTruthy();
    expect(within(card).getByTestId('device-cloned-note').textContent).toContain(
      'Give the copied system its own machine ID, then enrol it as a new device.',
    );
    expect((await h.device.core.listDevices()).map((d) => d.flags)).toEqual([['in-use-on-two-machines']]);
  });

  it('is not flagged when one machine runs two profiles', async () => {
    const machineId = newMachineId();
    const same = hardware();
    h = await startHarness({ readers: machine(machineId, same) });
    const account = await h.signUp();
    await h.enrol('Studio PC');
    await h.otherDevice(account, 'Studio PC', machine(machineId, same));
    await h.enrol('Studio PC');

    h.renderApp();
    await screen.findByTestId('library-screen');
    await h.user.click(screen.getByTestId('nav-devices'));
    const card = await screen.findByTestId('device-card');
    expect(within(card).queryByText('In use on two machines')).toBeNull();
    expect((await h.device.core.listDevices()).map((d) => d.flags)).toEqual([[]]);
  });
});
