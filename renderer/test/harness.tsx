/**
 * Screens under test: the real renderer (React, the zustand stores, `AppApi` through
 * a bridge) on the real core, against the MSW mock provider over real HTTP. The
 * bridge is the one the shells use minus the transport: every call goes through
 * `dispatchAppCall`, so inputs are validated and errors cross as `{code, message}`,
 * exactly as over IPC. Faults and latency come from `mock.faults`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanup, configure, render, type RenderResult } from '@testing-library/react';
import { userEvent, type UserEvent } from '@testing-library/user-event';
import type { AppBridge } from '../../shared/app-api/app-api.ts';
import { dispatchAppCall } from '../../electron/bridge/app-dispatch.ts';
import { createKeyportCore, type KeyportCore } from '../../electron/core/keyport-core.ts';
import type { IdentityReaders } from '../../electron/core/device-identity.ts';
import type { ReconnectTiming } from '../../electron/core/session.ts';
import { testSecretStore } from '../../test-support/keychain.ts';
import { startMockServer, type MockServerOptions, type RunningMockServer } from '../../server-mock/server.ts';
import { createKeyportMock, type KeyportMock, type PublishOptions } from '../../server-mock/mock.ts';
import { App } from '../src/App.tsx';
import { resetStores } from '../src/stores/all-stores.ts';

// findBy… waits up to 1 s by default; creating an account runs the provider's memory-hard
// password hash, which on a busy 2-core CI machine (Chromium tests in the other worker) can
// take longer. The tests wait for what appears, never for how fast.
configure({ asyncUtilTimeout: 5000 });

// user-event walks radio groups with CSS.escape, which jsdom lacks.
window.CSS ??= {} as typeof CSS;
CSS.escape ??= (value: string) => value.replace(/[^\w-]/g, (c) => `\\${c}`);

export interface Account {
  email: string;
  password: string;
  displayName: string;
}

export interface HarnessDevice {
  core: KeyportCore;
  deviceName: string;
  profileDir: string;
}

export interface HarnessOptions extends Pick<MockServerOptions, 'settings'> {
  /** The core's backoff while the provider is down (the default is the app's own: 1 s to 30 s). */
  reconnect?: ReconnectTiming;
  /** The rendered device reads this machine instead of simulating one by name. */
  readers?: IdentityReaders;
}

export interface Harness {
  /** The provider's HTTP server now (a new one after `startProvider`). */
  server: RunningMockServer;
  mock: KeyportMock;
  /** The device the rendered app runs on. */
  device: HarnessDevice;
  user: UserEvent;
  /** Render the whole app, as the window shows it. */
  renderApp(): RenderResult;
  newAccount(): Account;
  /** Create an account on this device (and sign in), without going through the screens. */
  signUp(account?: Account): Promise<Account>;
  enrol(name?: string): Promise<void>;
  /** Another device of the same user (its own profile and simulated ID), enrolled. */
  otherDevice(account: Account, name: string, readers?: IdentityReaders): Promise<HarnessDevice>;
  publish(options: PublishOptions): Promise<void>;
  /** The provider goes away: its port refuses connections, as when it is down. */
  stopProvider(): Promise<void>;
  /** It is back, on the same address and with everything it knew. */
  startProvider(): Promise<void>;
  close(): Promise<void>;
}

async function startDevice(
  url: string,
  label: string,
  reconnect?: ReconnectTiming,
  readers?: IdentityReaders,
): Promise<HarnessDevice> {
  const profileDir = await mkdtemp(path.join(tmpdir(), `keyport-ui-${label}-`));
  const deviceName = `${label}-${randomBytes(3).toString('hex')}`;
  const core = await createKeyportCore(
    {
      providerUrl: url,
      profileDir,
      dataDir: profileDir,
      simulateDevice: readers ? null : deviceName,
      insecureSecretFile: false,
    },
    {
      secretStore: await testSecretStore(profileDir),
      syncIntervalMs: 0,
      retryDelays: [5],
      reconnect,
      identityReaders: readers,
    },
  );
  return { core, deviceName, profileDir };
}

/**
 * Start a mock provider and a device, and point the renderer at that device. Call
 * `close()` in afterEach: it unmounts, resets every store and removes the profiles.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  // The harness owns the mock, so the provider can stop and start again around it.
  const mock = await createKeyportMock({ settings: options.settings });
  const server = await startMockServer({ mock });
  const port = Number(new URL(server.url).port);
  let providerUp = true;
  const device = await startDevice(server.url, 'ui', options.reconnect, options.readers);
  const others: HarnessDevice[] = [];
  const bridge: AppBridge = {
    invoke: (method, input) => dispatchAppCall(device.core, method, input),
    onEvent: (listener) => device.core.subscribe(listener),
  };
  window.keyport = bridge;
  resetStores();

  let counter = 0;
  const harness: Harness = {
    server,
    mock,
    device,
    user: userEvent.setup(),
    renderApp: () => render(<App />),
    newAccount: () => {
      counter += 1;
      const tag = `${randomBytes(4).toString('hex')}${counter}`;
      return {
        email: `ui-${tag}@example.test`,
        password: 'correct horse battery',
        displayName: `Ada ${tag}`,
      };
    },
    async signUp(account = harness.newAccount()) {
      await device.core.createAccount(account);
      return account;
    },
    async enrol(name = 'Test Desk') {
      await device.core.enrolDevice({ name });
    },
    async otherDevice(account, name, readers) {
      const other = await startDevice(server.url, 'other', undefined, readers);
      others.push(other);
      await other.core.signIn({ email: account.email, password: account.password });
      await other.core.enrolDevice({ name });
      return other;
    },
    async publish(publishOptions) {
      await mock.publish(publishOptions);
    },
    async stopProvider() {
      providerUp = false;
      await harness.server.close();
    },
    async startProvider() {
      harness.server = await startMockServer({ mock, port });
      providerUp = true;
    },
    async close() {
      cleanup();
      resetStores();
      delete window.keyport;
      for (const d of [device, ...others]) {
        await d.core.close();
        await rm(d.profileDir, { recursive: true, force: true });
      }
      if (providerUp) await harness.server.close();
      await mock.close();
    },
  };
  return harness;
}
