// @vitest-environment jsdom
/** Sign in / create account and the first run on this device, against the MSW mock. */
import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.tsx';

describe('signing in and the first run on this device', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  it('shows the splash while the core answers, then the sign-in form', async () => {
    h.renderApp();
    expect(screen.getByTestId('splash')).toBeTruthy();
    expect(await screen.findByTestId('sign-in-form')).toBeTruthy();
  });

  it('creates an account, then shows this device with its ID sources and enrols it by name', async () => {
    const account = h.newAccount();
    h.renderApp();
    await h.user.click(await screen.findByRole('tab', { name: 'Create account' }));
    await h.user.type(screen.getByLabelText('Your name'), account.displayName);
    await h.user.type(screen.getByLabelText('Email'), account.email);
    await h.user.type(screen.getByLabelText(/^Password/), account.password);
    await h.user.click(screen.getByRole('button', { name: 'Create account' }));

    const firstRun = await screen.findByTestId('first-run');
    const status = await h.device.core.getStatus();
    expect(within(firstRun).getByTestId('device-id').textContent).toBe(status.device.shortId);
    expect(within(firstRun).getByTestId('device-sources').textContent).toContain('Simulated device name');

    const name = within(firstRun).getByLabelText('Name this device');
    await h.user.clear(name);
    await h.user.type(name, 'Studio PC');
    await h.user.click(screen.getByRole('button', { name: 'Enrol this device' }));

    // Enrolled: the app proper, with the name it was given.
    expect((await screen.findByTestId('device-name')).textContent).toBe('Studio PC');
    expect((await h.device.core.listDevices()).map((d) => d.name)).toEqual(['Studio PC']);
  });

  it('asks for a longer password before it asks the provider', async () => {
    h.renderApp();
    await h.user.click(await screen.findByRole('tab', { name: 'Create account' }));
    await h.user.type(screen.getByLabelText('Your name'), 'Ada');
    await h.user.type(screen.getByLabelText('Email'), 'ada@example.test');
    await h.user.type(screen.getByLabelText(/^Password/), 'short');
    await h.user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(screen.getByLabelText(/^Password/).getAttribute('aria-invalid')).toBe('true');
    expect(screen.queryByTestId('first-run')).toBeNull();
  });

  it('says in a sentence when the email and password do not match', async () => {
    const account = await h.signUp();
    await h.device.core.signOut();
    h.renderApp();
    await h.user.type(await screen.findByLabelText('Email'), account.email);
    await h.user.type(screen.getByLabelText('Password'), 'wrong password!');
    await h.user.click(screen.getByRole('button', { name: 'Sign in' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/do not match an account/);
    expect(alert.textContent).not.toMatch(/\b401\b|Error:/);
  });

  it('explains the device limit and lets a device that holds nothing be retired', async () => {
    await h.close();
    h = await startHarness({ settings: { deviceLimit: 1 } });
    const account = await h.signUp();
    const other = await h.otherDevice(account, 'Old laptop');
    await other.core.getStatus();
    h.renderApp();
    await h.user.click(await screen.findByRole('button', { name: 'Enrol this device' }));
    const limit = await screen.findByTestId('device-limit');
    expect(limit.textContent).toMatch(/reached its device limit/);
    await h.user.click(await within(limit).findByRole('button', { name: 'Retire Old laptop' }));
    await waitFor(() => expect(within(limit).queryByText('Old laptop')).toBeNull());
    await h.user.click(screen.getByRole('button', { name: 'Enrol this device' }));
    expect(await screen.findByTestId('nav-library')).toBeTruthy();
  });
});
