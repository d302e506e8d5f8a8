/**
 * A hand-written `AppApi` for the shells' tests: records every call, answers from
 * canned data, and lets a test push events. The shells are transport; the core has its
 * own tests.
 */
import {
  APP_METHODS,
  type AppStatus,
  type AppApi,
  type AppEvent,
  type AppMethod,
  type LibraryItem,
} from '../shared/app-api/app-api.ts';
import { AppError } from '../shared/app-api/app-errors.ts';
import type { ShellCore } from '../electron/bridge/recovering-core.ts';

export const FAKE_DEVICE_ID = 'a1b2c3d4e5f6'.padEnd(64, '0');

export const FAKE_STATUS: AppStatus = {
  providerUrl: 'http://127.0.0.1:8787',
  online: true,
  user: {
    userId: 'usr_demo',
    email: 'demo@keyport.local',
    displayName: 'Demo User',
    createdAt: '2026-01-01T00:00:00.000Z',
  },
  device: {
    deviceId: FAKE_DEVICE_ID,
    shortId: 'a1b2-c3d4',
    name: 'Test Desk PC',
    platform: 'linux',
    enrolled: true,
    sources: ['os.machine-id', 'system.uuid', 'disk.serial'],
    idSource: 'os',
    simulatedAs: null,
    recognisedAs: null,
  },
  secretStore: { kind: 'keychain', description: 'the OS keychain, under "Keyport (0123abcd)"' },
  profileDir: '/tmp/keyport-profile',
  dataDir: '/tmp/keyport-profile',
};

export const FAKE_LIBRARY: LibraryItem[] = [
  {
    softwareId: 'ascii-mandelbrot',
    name: 'ASCII Mandelbrot',
    summary: 'Renders the Mandelbrot set as ASCII art in your terminal.',
    copyId: 'cp_1',
    state: 'installed',
    registeredDeviceId: FAKE_DEVICE_ID,
    registeredDeviceName: 'Test Desk PC',
    installed: {
      version: '2.1.0',
      installDir: '/tmp/apps/ascii-mandelbrot',
      installedAt: '2026-01-02T00:00:00Z',
    },
    licenseExpiresAt: '2026-02-01T00:00:00.000Z',
    problem: null,
  },
  {
    softwareId: 'sudoku-solver',
    name: 'Sudoku Solver',
    summary: 'Solves any 9×9 sudoku by backtracking and prints the grid.',
    copyId: 'cp_2',
    state: 'ready-to-install',
    registeredDeviceId: FAKE_DEVICE_ID,
    registeredDeviceName: 'Test Desk PC',
    installed: null,
    licenseExpiresAt: null,
    problem: null,
  },
];

export const FAKE_CATALOG = [
  {
    softwareId: 'keyport-hello',
    name: 'Keyport Hello',
    summary: 'The smallest licensed program: it greets whoever it is licensed to. Free.',
    priceCents: 0,
    currency: 'USD',
    version: '1.0.0',
    sizeBytes: 1843,
  },
  {
    softwareId: 'ascii-mandelbrot',
    name: 'ASCII Mandelbrot',
    summary: 'Renders the Mandelbrot set as ASCII art in your terminal.',
    priceCents: 499,
    currency: 'USD',
    version: '2.1.0',
    sizeBytes: 2311,
  },
  {
    softwareId: 'sudoku-solver',
    name: 'Sudoku Solver',
    summary: 'Solves any 9×9 sudoku by backtracking and prints the grid.',
    priceCents: 299,
    currency: 'USD',
    version: '1.4.2',
    sizeBytes: 2710,
  },
];

export interface FakeCore {
  core: ShellCore;
  calls: Array<{ method: AppMethod; input: unknown }>;
  emit(event: AppEvent): void;
  listenerCount(): number;
}

export function createFakeCore(overrides: Partial<AppApi> = {}): FakeCore {
  const calls: FakeCore['calls'] = [];
  const listeners = new Set<(event: AppEvent) => void>();
  const canned: Partial<Record<AppMethod, (input: unknown) => unknown>> = {
    getStatus: () => FAKE_STATUS,
    getLibrary: () => FAKE_LIBRARY,
    browseCatalog: () => ({ items: FAKE_CATALOG, nextCursor: null }),
    buy: (input) => ({
      purchaseId: 'pur_1',
      softwareId: (input as { softwareId: string }).softwareId,
      deviceId: FAKE_DEVICE_ID,
      priceCents: 499,
      currency: 'USD',
      createdAt: '2026-01-03T00:00:00.000Z',
    }),
    run: (input) => ({
      softwareId: (input as { softwareId: string }).softwareId,
      exitCode: 0,
      signal: null,
      output: 'hello\n',
      logPath: '/tmp/run.log',
    }),
  };
  const methods = Object.fromEntries(
    APP_METHODS.map((method) => [
      method,
      async (input: unknown) => {
        calls.push({ method, input });
        const override = overrides[method] as ((input: unknown) => Promise<unknown>) | undefined;
        if (override) return override(input);
        const answer = canned[method];
        if (answer) return answer(input);
        throw new AppError('UNEXPECTED', `The fake core does not do ${method}.`);
      },
    ]),
  ) as unknown as AppApi;
  return {
    core: {
      ...methods,
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      close: async () => undefined,
    },
    calls,
    emit(event) {
      for (const listener of listeners) listener(event);
    },
    listenerCount: () => listeners.size,
  };
}
