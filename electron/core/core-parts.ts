/**
 * What the core's flows share, built once by `createKeyportCore` (the composition root):
 * the options, the stores, the provider client and the one owner of each concern — the
 * session, this device, the license keeper, the account's copies, the events.
 */
import type { AppOptions } from './app-options.ts';
import type { Copies } from './copies.ts';
import type { CoreEvents } from './core-events.ts';
import type { LicenseKeeper } from './licenses.ts';
import type { LocalStateStore } from './local-state.ts';
import type { ProviderClient } from './provider-client.ts';
import type { SecretStore } from './secret-store.ts';
import type { Session } from './session.ts';
import type { ThisDevice } from './this-device.ts';

export interface CoreDependencies {
  fetch?: typeof fetch;
  now?: () => Date;
  secretStore?: SecretStore;
  /** How often to sync in the background; 0 turns it off (tests, the CLI). */
  syncIntervalMs?: number;
  /** Renew a lease once less than this much of it is left. */
  leaseRefreshMarginMs?: number;
  retryDelays?: readonly number[];
}

export interface CoreParts {
  options: AppOptions;
  dependencies: CoreDependencies;
  now: () => Date;
  events: CoreEvents;
  secrets: SecretStore;
  state: LocalStateStore;
  session: Session;
  provider: ProviderClient;
  device: ThisDevice;
  licenses: LicenseKeeper;
  copies: Copies;
  folders: { apps: string; downloads: string; logs: string };
  /** Whether the provider answered the last request (assumed, until one fails). */
  reachability: { online: boolean };
  /** Push the app's status to the shells (sign-in, enrolment, reachability changed). */
  announceStatus(): void;
}
