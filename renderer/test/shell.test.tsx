// @vitest-environment jsdom
/**
 * The frame around the screens: what the window shows when the core cannot start (no
 * keychain) and that Try again asks again, and the banner when keys live in a plain file. The window talks to the shells' own recovering core (electron/bridge/recovering-core.ts)
 * over the real core, against the MSW mock.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatchAppCall } from '../../electron/bridge/app-dispatch.ts';
import { createKeyportCore } from '../../electron/core/keyport-core.ts';
import { createRecoveringCore, type ShellCore } from '../../electron/bridge/recovering-core.ts';
import { startMockServer, type RunningMockServer } from '../../server-mock/server.ts';
import { App } from '../src/App.tsx';
import { resetStores } from '../src/stores/all-stores.ts';

describe('the window around the screens', () => {
  let server: RunningMockServer;
  let profileDir: string;
  let core: ShellCore;

  async function showApp(open: () => Promise<ShellCore>) {
    server = await startMockServer();
    profileDir = await mkdtemp(path.join(tmpdir(), 'keyport-ui-shell-'));
    // No one-second pause between retries: the test's clock moves on with every call.
    let clock = 0;
    core = createRecoveringCore(open, { now: () => (clock += 1000) });
    window.keyport = {
      invoke: (method, input) => dispatchAppCall(core, method, input),
      onEvent: (listener) => core.subscribe(listener),
    };
    resetStores();
    render(<App />);
  }

  const openCore = (insecureSecretFile: boolean) =>
    createKeyportCore(
      {
        providerUrl: server.url,
        profileDir,
        dataDir: profileDir,
        simulateDevice: 'shell-test',
        insecureSecretFile,
      },
      { syncIntervalMs: 0, retryDelays: [5] },
    );

  afterEach(async () => {
    cleanup();
    resetStores();
    delete window.keyport;
    await core?.close();
    await server?.close();
    await rm(profileDir, { recursive: true, force: true });
  });

  it('says the keychain cannot be reached, and Try again asks it again', async () => {
    const realBus = process.env.DBUS_SESSION_BUS_ADDRESS;
    // The Secret Service is reached over the session bus: point it nowhere and the
    // keychain is really gone, as on a server without a desktop session.
    process.env.DBUS_SESSION_BUS_ADDRESS = 'unix:path=/nonexistent/keyport-test-bus';
    let attempts = 0;
    try {
      await showApp(() => {
        attempts += 1;
        return openCore(false);
      });
      const problem = await screen.findByTestId('startup-problem', {}, { timeout: 5000 });
      expect(problem.textContent).toContain('Keyport cannot reach your keychain');
      expect(problem.textContent).toContain('No OS keychain answered');
      expect(problem.textContent).toContain('--insecure-secret-file');
      expect(problem.textContent).toContain('KEYCHAIN_UNAVAILABLE');
      // Nothing was written in plain text behind the user's back.
      await expect(readdir(profileDir)).resolves.not.toContain('secrets.insecure.json');

      await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
      await waitFor(() => expect(attempts).toBe(2), { timeout: 5000 });
      await waitFor(
        () => expect(screen.getByRole('button', { name: 'Try again' }).hasAttribute('disabled')).toBe(false),
        {
          timeout: 5000,
        },
      );
      expect(screen.getByTestId('startup-problem').textContent).toContain('No OS keychain answered');
    } finally {
      process.env.DBUS_SESSION_BUS_ADDRESS = realBus;
    }
  });

  it('warns, on every screen, when license keys are kept in a plain file', async () => {
    const realBus = process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.DBUS_SESSION_BUS_ADDRESS = 'unix:path=/nonexistent/keyport-test-bus';
    try {
      await showApp(() => openCore(true));
      await core.getStatus();
    } finally {
      process.env.DBUS_SESSION_BUS_ADDRESS = realBus;
    }
    await core.createAccount({
      email: 'plain@example.test',
      password: 'correct horse battery',
      displayName: 'Plain File',
    });
    await core.enrolDevice({ name: 'Bare server' });
    await core.getStatus().then((status) => expect(status.secretStore.kind).toBe('insecure-file'));
    const banner = await screen.findByTestId('keychain-banner');
    expect(banner.textContent).toContain('License keys are not in a keychain.');
    expect(banner.textContent).toContain('--insecure-secret-file');
    await userEvent.click(screen.getByTestId('nav-devices'));
    expect(screen.getByTestId('keychain-banner')).toBeTruthy();
  });
});
