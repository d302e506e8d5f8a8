/**
 * The core: `AppApi` implemented in plain Node, for the Electron shell, the web shell and
 * the CLI alike. This file is its composition root: it opens the stores, builds the one
 * owner of each concern (session, this device, licenses, the account's copies) and
 * assembles the flows of DESIGN §1 from `flows/` — account, devices, store, library,
 * install, run, transfer and the sync that reconciles this device with the provider.
 *
 * Before anything in the profile is read it takes the profile's lock (one writer at a
 * time), and it refuses a profile made for another device; `close()` lets the lock go.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { AppApi, AppEventSource } from '../../shared/app-api/app-api.ts';
import type { AppOptions } from './app-options.ts';
import { Copies } from './copies.ts';
import { CoreEvents } from './core-events.ts';
import type { CoreDependencies as PartsDependencies, CoreParts } from './core-parts.ts';
import { readDeviceIdentity, type IdentityReaders } from './device-identity.ts';
import { accountFlow, describeStatus } from './flows/account.ts';
import { devicesFlow } from './flows/devices.ts';
import { installFlow } from './flows/install.ts';
import { libraryFlow } from './flows/library.ts';
import { runFlow } from './flows/run.ts';
import { storeFlow } from './flows/store.ts';
import { syncFlow } from './flows/sync.ts';
import { transferFlow } from './flows/transfer.ts';
import { cleanupInstallLeftovers } from './installer.ts';
import { LicenseKeeper } from './licenses.ts';
import { LocalStateStore } from './local-state.ts';
import { ProviderClient } from './provider-client.ts';
import { readInstallationId } from './installation.ts';
import { lockProfile, type ProfileLock, type ProfileProgram } from './profile-lock.ts';
import { claimProfileForDevice } from './profile-owner.ts';
import { openSecretStore } from './secret-store.ts';
import { Reachability, Session, type ReconnectTiming } from './session.ts';
import { ThisDevice } from './this-device.ts';

export interface CoreDependencies extends PartsDependencies {
  /** The backoff of the probes while the provider cannot be reached (tests make it short). */
  reconnect?: ReconnectTiming;
  /** Which front end opens the profile, for the sentence another one gets (default `app`). */
  program?: ProfileProgram;
  /** How long to wait for another process to let go of the profile (default 3 s). */
  profileLockWaitMs?: number;
  /** How the machine is read (tests: a user, root, a container, a clone); default the real one. */
  identityReaders?: IdentityReaders;
}

/** The parts, with what the composition root drives: reachability and the profile's lock. */
type AssembledParts = CoreParts & { reachability: Reachability; lock: ProfileLock };

export interface KeyportCore extends AppApi, AppEventSource {
  close(): Promise<void>;
}

const DEFAULT_SYNC_INTERVAL_MS = 15 * 60 * 1000;

export async function createKeyportCore(
  options: AppOptions,
  dependencies: CoreDependencies = {},
): Promise<KeyportCore> {
  const parts = await assembleParts(options, dependencies);
  const install = installFlow(parts);
  const { cancelAll, ...installMethods } = install;
  const sync = syncFlow(parts);
  const account = accountFlow(parts);
  const background = startBackgroundSync(parts, sync.sync);
  parts.reachability.onChange = (online) => {
    parts.announceStatus();
    // Back online: catch up on what changed meanwhile (arrivals, departures, leases).
    if (online) background.catchUp();
  };
  background.start();
  return {
    ...account,
    // A window that asks how things stand while offline (it regained focus, the OS says the
    // network is back) gets the probe at once; its outcome arrives as `status-changed`.
    async getStatus() {
      void parts.reachability.retryNow();
      return account.getStatus();
    },
    ...devicesFlow(parts, sync.sync),
    ...storeFlow(parts),
    ...libraryFlow(parts),
    ...installMethods,
    ...runFlow(parts),
    ...transferFlow(parts),
    ...sync,
    subscribe: (listener) => parts.events.subscribe(listener),
    async close() {
      parts.reachability.close();
      background.stop();
      cancelAll();
      parts.events.clear();
      // Written state is flushed by then: every update is awaited by the call that made it.
      await parts.lock.release();
    },
  } satisfies KeyportCore;
}

async function assembleParts(options: AppOptions, dependencies: CoreDependencies): Promise<AssembledParts> {
  await mkdir(options.profileDir, { recursive: true, mode: 0o700 });
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const lock = await lockProfile(options.profileDir, {
    program: dependencies.program ?? 'app',
    waitMs: dependencies.profileLockWaitMs,
  });
  try {
    return await assembleLocked(options, dependencies, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function assembleLocked(
  options: AppOptions,
  dependencies: CoreDependencies,
  lock: ProfileLock,
): Promise<AssembledParts> {
  const readIdentity = () =>
    readDeviceIdentity({
      simulateDevice: options.simulateDevice,
      profileDir: options.profileDir,
      readers: dependencies.identityReaders,
    });
  const [state, identity] = await Promise.all([LocalStateStore.open(options.profileDir), readIdentity()]);
  // Before any secret is read or written: a profile of another device is left as it is.
  await claimProfileForDevice(state, identity, options.profileDir);
  const secrets = dependencies.secretStore ?? (await openSecretStore(options));
  const [token, installationId] = await Promise.all([
    Session.readToken(secrets),
    readInstallationId(secrets),
  ]);
  const session = new Session(secrets, state, token);
  const now = dependencies.now ?? (() => new Date());
  const events = new CoreEvents();
  let announceStatus: () => void = () => undefined;
  // The probe is the cheapest request that needs no account; signed in or not, it tells.
  const reachability = new Reachability(() => provider.catalog({ limit: 1 }), dependencies.reconnect);
  const provider = new ProviderClient({
    baseUrl: options.providerUrl,
    token: () => session.token,
    fetch: dependencies.fetch,
    retryDelays: dependencies.retryDelays,
    onReachability: (online) => reachability.report(online),
  });
  const device = new ThisDevice(identity, readIdentity, installationId, provider, session, state);
  const licenses = new LicenseKeeper(
    provider,
    secrets,
    state,
    device,
    now,
    dependencies.leaseRefreshMarginMs,
  );
  const copies = new Copies(provider, session, state, device, licenses);
  const parts: AssembledParts = {
    options,
    dependencies,
    now,
    events,
    secrets,
    state,
    session,
    provider,
    device,
    licenses,
    copies,
    folders: {
      apps: path.join(options.dataDir, 'apps'),
      downloads: path.join(options.dataDir, 'downloads'),
      logs: path.join(options.dataDir, 'logs'),
    },
    reachability,
    lock,
    announceStatus: () => announceStatus(),
  };
  announceStatus = () => events.emit('status-changed', describeStatus(parts));
  session.onEnded = () => {
    device.forgetAccountDevices();
    announceStatus();
  };
  // Still under assembleParts' guard, which lets the lock go should this fail.
  await mkdir(parts.folders.apps, { recursive: true });
  await cleanupInstallLeftovers(parts.folders.apps);
  return parts;
}

/**
 * Sync every so often while signed in. Signed out there is nothing to sync, but the
 * sign-in screen should still learn early whether the store answers.
 */
function startBackgroundSync(parts: CoreParts, sync: () => Promise<unknown>) {
  const interval = parts.dependencies.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
  let timer: NodeJS.Timeout | undefined;
  const run = () => void sync().catch(() => undefined);
  return {
    /** Once, now, when background sync is on and someone is signed in. */
    catchUp() {
      if (interval > 0 && parts.session.token) run();
    },
    start() {
      if (interval <= 0) return;
      if (parts.session.token) run();
      else void parts.provider.catalog({ limit: 1 }).catch(() => undefined);
      timer = setInterval(run, interval);
      timer.unref();
    },
    stop: () => clearInterval(timer),
  };
}
