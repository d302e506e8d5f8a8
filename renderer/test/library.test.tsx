// @vitest-environment jsdom
/**
 * The library: loading, empty, error and the copies on this device (install with its
 * progress, cancel, run, log, uninstall), on other devices (move here) and moved away,
 * against the MSW mock through the real core.
 */
import { randomBytes } from 'node:crypto';
import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FOCUS_SYNC_INTERVAL_MS, useLibraryStore } from '../src/stores/library.ts';
import { useTransferStore } from '../src/stores/transfer.ts';
import { startHarness, type Account, type Harness } from './harness.tsx';

describe('the library', () => {
  let h: Harness;
  let account: Account;
  beforeEach(async () => {
    h = await startHarness();
    account = await h.signUp();
    await h.enrol('Studio PC');
  });
  afterEach(() => h.close());

  /** Publish a program and buy it for the device the app runs on. */
  async function own(softwareId: string, name: string, files?: Record<string, Buffer>) {
    await h.publish({
      softwareId,
      name,
      summary: `${name} does things.`,
      priceCents: 500,
      version: '1.0.0',
      files,
    });
    await h.device.core.buy({ softwareId });
  }

  const thisDeviceId = async () => (await h.device.core.getStatus()).device.deviceId;
  const row = async (softwareId: string) => screen.findByTestId(`library-${softwareId}`);
  const status = (element: HTMLElement) => within(element).getByTestId('copy-status').textContent;

  it('shows placeholders while the library loads', async () => {
    await own('sketchpad', 'Sketchpad');
    h.mock.faults.setLatency(600);
    h.renderApp();
    const skeleton = await screen.findByTestId('skeleton');
    expect(skeleton.getAttribute('role')).toBe('status');
    expect(screen.queryByTestId('library-sketchpad')).toBeNull();
    h.mock.faults.setLatency(0);
    expect(await row('sketchpad')).toBeTruthy();
    expect(screen.queryByTestId('skeleton')).toBeNull();
  });

  it('says the library is empty and leads to the store', async () => {
    h.renderApp();
    const empty = await screen.findByTestId('library-empty');
    expect(within(empty).getByRole('heading', { name: 'Your library is empty' })).toBeTruthy();
    await h.user.click(within(empty).getByRole('button', { name: 'Browse the store' }));
    expect(await screen.findByTestId('store-screen')).toBeTruthy();
    expect(screen.queryByTestId('library-screen')).toBeNull();
  });

  it('explains a failed load in a sentence and loads on Try again', async () => {
    await own('sketchpad', 'Sketchpad');
    h.mock.faults.failNext(2, '/v1/registrations'); // the first try and the core's retry
    h.renderApp();
    const error = await screen.findByTestId('library-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toMatch(/The store had a problem/);
    expect(error.textContent).not.toMatch(/\b500\b|Error:/);
    await h.user.click(within(error).getByRole('button', { name: 'Try again' }));
    expect(status(await row('sketchpad'))).toBe('Ready to install');
    expect(screen.queryByTestId('library-error')).toBeNull();
  });

  it('installs with a progress bar (percent, bytes, Cancel), then shows it installed', async () => {
    await own('big-paint', 'Big Paint', { 'data.bin': randomBytes(3_000_000) });
    h.renderApp();
    const item = await row('big-paint');
    expect(status(item)).toBe('Ready to install');
    h.mock.faults.setLatency(150);
    await h.user.click(within(item).getByRole('button', { name: 'Install' }));

    const progress = await within(item).findByTestId('progress-big-paint');
    expect(within(progress).getByRole('progressbar', { name: 'Installing Big Paint' })).toBeTruthy();
    expect(within(progress).getByRole('button', { name: 'Cancel' })).toBeTruthy();
    await waitFor(() =>
      expect(within(progress).getByTestId('progress-percent').textContent).toMatch(/^\d+%$/),
    );
    expect(within(progress).getByTestId('progress-bytes').textContent).toMatch(/ of 2\.\d MB$/);
    // The sidebar counts installs under way.
    expect(screen.getByLabelText('1 installing')).toBeTruthy();

    await waitFor(() => expect(status(item)).toBe('Installed'), { timeout: 5000 });
    h.mock.faults.setLatency(0);
    expect(within(item).queryByTestId('progress-big-paint')).toBeNull();
    expect(within(item).getByTestId('copy-version').textContent).toBe('Version 1.0.0');
    expect(within(item).getByTestId('copy-lease').textContent).toMatch(/^License until /);
    expect(within(item).getByRole('button', { name: 'Run' })).toBeTruthy();
    expect((await h.device.core.getLibrary())[0]?.state).toBe('installed');
  });

  it('cancels an install calmly: back to Ready to install, no error', async () => {
    await own('big-paint', 'Big Paint', { 'data.bin': randomBytes(3_000_000) });
    h.renderApp();
    const item = await row('big-paint');
    h.mock.faults.setLatency(300);
    await h.user.click(within(item).getByRole('button', { name: 'Install' }));
    const progress = await within(item).findByTestId('progress-big-paint');
    await h.user.click(within(progress).getByRole('button', { name: 'Cancel' }));

    expect((await within(item).findByTestId('cancelled-big-paint')).textContent).toBe('Install cancelled.');
    h.mock.faults.setLatency(0);
    expect(within(item).queryByTestId('progress-big-paint')).toBeNull();
    expect(within(item).queryByRole('alert')).toBeNull();
    expect(status(item)).toBe('Ready to install');
    expect(within(item).getByRole('button', { name: 'Install' }).hasAttribute('disabled')).toBe(false);
    expect((await h.device.core.getLibrary())[0]?.installed).toBeNull();
  });

  it('runs a program: started, exit code 0, its output, and its log', async () => {
    await own('sketchpad', 'Sketchpad');
    await h.device.core.install({ softwareId: 'sketchpad' });
    h.renderApp();
    const item = await row('sketchpad');
    expect(within(item).queryByRole('button', { name: 'Open log' })).toBeNull();
    // Slow the launch check with the store so "started" can be seen.
    h.mock.faults.setLatency(300);
    await h.user.click(within(item).getByRole('button', { name: 'Run' }));
    expect((await within(item).findByText('Sketchpad started')).closest('[role="status"]')).toBeTruthy();
    expect(within(item).getByRole('button', { name: 'Running…' }).hasAttribute('disabled')).toBe(true);

    const result = await within(item).findByTestId('run-sketchpad', {}, { timeout: 5000 });
    h.mock.faults.setLatency(0);
    expect(within(result).getByTestId('run-exit').textContent).toBe('Exited with code 0');
    expect(within(result).getByTestId('run-output-sketchpad').textContent).toContain('hello from 1.0.0');

    await h.user.click(within(result).getByRole('button', { name: 'Open log' }));
    const dialog = await screen.findByTestId('log-dialog');
    expect(within(dialog).getByRole('heading', { name: 'Log of Sketchpad' })).toBeTruthy();
    await waitFor(() =>
      expect(within(dialog).getByTestId('log-text').textContent).toContain('hello from 1.0.0'),
    );
    expect(within(dialog).getByTestId('log-text').textContent).toContain('# exited with code 0');
    expect(within(dialog).getByTestId('log-path').textContent).toMatch(/sketchpad.*\.log$/);
    await h.user.keyboard('{Escape}');
    expect(screen.queryByTestId('log-dialog')).toBeNull();
  });

  it('says why a launch is refused, in a sentence', async () => {
    await own('sketchpad', 'Sketchpad');
    await h.device.core.install({ softwareId: 'sketchpad' });
    h.renderApp();
    const item = await row('sketchpad');
    // A copy moved away behind the app's back: the launch check finds out and refuses.
    const other = await h.otherDevice(account, 'Old laptop');
    const otherId = (await other.core.getStatus()).device.deviceId;
    await other.core.transfer({
      softwareId: 'sketchpad',
      sourceDeviceId: await thisDeviceId(),
      destinationDeviceId: otherId,
    });
    await h.user.click(within(item).getByRole('button', { name: 'Run' }));

    const moved = await screen.findByTestId('library-moved');
    const movedItem = within(moved).getByTestId('library-sketchpad');
    const refusal = within(movedItem).getByRole('alert');
    expect(refusal.getAttribute('data-code')).toBe('COPY_MOVED');
    expect(refusal.textContent).toMatch(
      /Sketchpad has moved to another of your devices, so it no longer runs here/,
    );
    expect(within(movedItem).queryByRole('button', { name: 'Run' })).toBeNull();
    expect(screen.queryByTestId('run-sketchpad')).toBeNull();
  });

  it('uninstalls only after confirming', async () => {
    await own('sketchpad', 'Sketchpad');
    await h.device.core.install({ softwareId: 'sketchpad' });
    h.renderApp();
    const item = await row('sketchpad');

    await h.user.click(within(item).getByRole('button', { name: 'Uninstall' }));
    let dialog = await screen.findByRole('dialog', { name: 'Uninstall Sketchpad?' });
    expect(dialog.textContent).toMatch(/It stays yours and registered to this device/);
    await h.user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(status(item)).toBe('Installed');

    await h.user.click(within(item).getByRole('button', { name: 'Uninstall' }));
    dialog = await screen.findByRole('dialog', { name: 'Uninstall Sketchpad?' });
    await h.user.click(within(dialog).getByRole('button', { name: 'Uninstall' }));
    await waitFor(() => expect(status(item)).toBe('Ready to install'));
    expect(within(item).queryByRole('button', { name: 'Uninstall' })).toBeNull();
    expect(within(item).getByRole('button', { name: 'Install' })).toBeTruthy();
    expect((await h.device.core.getLibrary())[0]).toMatchObject({
      installed: null,
      state: 'ready-to-install',
    });
  });

  it('lists copies on other devices and opens the wizard to move one here', async () => {
    await h.publish({ softwareId: 'tracker', name: 'Tracker', priceCents: 900 });
    const other = await h.otherDevice(account, 'Old laptop');
    await other.core.buy({ softwareId: 'tracker' });
    const otherId = (await other.core.getStatus()).device.deviceId;
    h.renderApp();

    const elsewhere = await screen.findByTestId('library-elsewhere');
    const item = within(elsewhere).getByTestId('library-tracker');
    expect(within(item).getByTestId('registered-to').textContent).toBe('Registered to Old laptop');
    expect(within(screen.getByTestId('library-here')).queryByTestId('library-tracker')).toBeNull();
    const move = within(item).getByRole('button', { name: 'Move to this device' });
    expect(move.getAttribute('aria-describedby')).toBe(
      within(item).getByRole('heading', { name: 'Tracker' }).id,
    );
    await h.user.click(move);
    expect(useTransferStore.getState()).toMatchObject({
      open: true,
      choices: { softwareId: 'tracker', sourceDeviceId: otherId, destinationDeviceId: await thisDeviceId() },
    });
  });

  it('shows a copy moved away under Moved away, without Run', async () => {
    await own('sketchpad', 'Sketchpad');
    await h.device.core.install({ softwareId: 'sketchpad' });
    const other = await h.otherDevice(account, 'Old laptop');
    const otherId = (await other.core.getStatus()).device.deviceId;
    await h.device.core.transfer({
      softwareId: 'sketchpad',
      sourceDeviceId: await thisDeviceId(),
      destinationDeviceId: otherId,
    });
    h.renderApp();

    const moved = await screen.findByTestId('library-moved');
    const item = within(moved).getByTestId('library-sketchpad');
    expect(within(item).getByText('Moved')).toBeTruthy();
    expect(item.textContent).toMatch(/Sketchpad has moved to "Old laptop" and no longer runs here/);
    expect(within(item).queryByRole('button', { name: 'Run' })).toBeNull();
    expect(within(item).getByRole('button', { name: 'Uninstall' })).toBeTruthy();
    expect(within(screen.getByTestId('library-here')).queryByTestId('library-sketchpad')).toBeNull();
  });

  it('checks for changes made on another device', async () => {
    await own('sketchpad', 'Sketchpad');
    const other = await h.otherDevice(account, 'Old laptop');
    const otherId = (await other.core.getStatus()).device.deviceId;
    h.renderApp();
    const here = await screen.findByTestId('library-here');
    expect(within(here).getByTestId('library-sketchpad')).toBeTruthy();

    await other.core.transfer({
      softwareId: 'sketchpad',
      sourceDeviceId: await thisDeviceId(),
      destinationDeviceId: otherId,
    });
    await h.user.click(screen.getByRole('button', { name: 'Check for changes' }));
    await waitFor(() => expect(screen.getByTestId('sync-result').textContent).toBe('1 program moved away.'));
    expect(within(screen.getByTestId('library-here')).queryByTestId('library-sketchpad')).toBeNull();
    expect(within(screen.getByTestId('library-moved')).getByTestId('library-sketchpad')).toBeTruthy();
  });

  it('checks for changes when the window regains focus, at most every 30 s', async () => {
    await own('sketchpad', 'Sketchpad');
    const sync = vi.spyOn(h.device.core, 'sync');
    h.renderApp();
    await row('sketchpad');

    window.dispatchEvent(new Event('focus'));
    await waitFor(() => expect(sync).toHaveBeenCalledTimes(1));
    await waitFor(() => expect(useLibraryStore.getState().syncing).toBe(false));
    window.dispatchEvent(new Event('focus'));
    expect(sync).toHaveBeenCalledTimes(1);

    // Half a minute later, focus checks again.
    useLibraryStore.setState({ lastSyncAt: Date.now() - FOCUS_SYNC_INTERVAL_MS - 1 });
    window.dispatchEvent(new Event('focus'));
    await waitFor(() => expect(sync).toHaveBeenCalledTimes(2));
    await waitFor(() => expect(useLibraryStore.getState().syncing).toBe(false));
  });
});
