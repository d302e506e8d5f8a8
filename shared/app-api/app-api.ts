/**
 * `AppApi`: everything the renderer may ask of the desktop app (DESIGN §5), and the
 * events the app pushes back. The core (`electron/core/keyport-core.ts`) implements it;
 * the Electron shell carries it over IPC and the web shell over loopback HTTP, both with
 * the same method list and the same envelope, so the renderer cannot tell them apart.
 *
 * This module is free of runtime dependencies on purpose: the sandboxed preload bundles
 * it. The input schemas the shells validate with live in `inputs.ts`.
 */
import type {
  CatalogPage,
  Device,
  DeviceIdSource,
  Purchase,
  Recognition,
  Recovery,
  SoftwareDetail,
  Transfer,
  User,
} from '../provider-api/schemas.ts';
import type { AppErrorCode } from './app-errors.ts';
import type { z } from 'zod';
import type { APP_INPUTS } from './inputs.ts';

/** Where a purchased copy stands, seen from this device. */
export type CopyState =
  /** Registered to this device; not installed yet (or uninstalled). */
  | 'ready-to-install'
  /** Installed here with a key that checks. */
  | 'installed'
  /** Installed here, but the key is missing or its lease ended; go online to license it. */
  | 'needs-license'
  /** Registered to another of the user's devices. */
  | 'elsewhere'
  /** Was on this device and has been transferred away; it will not run here. */
  | 'moved';

export interface LibraryItem {
  softwareId: string;
  name: string;
  summary: string;
  copyId: string | null;
  state: CopyState;
  /** The device the copy is registered to now (null when unknown, e.g. offline and moved). */
  registeredDeviceId: string | null;
  registeredDeviceName: string | null;
  installed: { version: string; installDir: string; installedAt: string } | null;
  /** When the lease of the key on this device ends (ISO 8601), if there is a key. */
  licenseExpiresAt: string | null;
  /** Why it cannot run here, in a sentence, when it cannot. */
  problem: string | null;
}

export interface ThisDevice {
  deviceId: string;
  shortId: string;
  /** The name it is (or would be) enrolled under. */
  name: string;
  platform: string;
  enrolled: boolean;
  /**
   * Where the ID comes from (`os.machine-id`, `os.machine-guid`, `os.platform-uuid`,
   * `profile.install-id`, `simulated`) and the hardware components reported beside it
   * (`system.uuid`, `disk.serial`, …): the true sources, never their values.
   */
  sources: string[];
  /** `generated`: no OS install ID exists, so the ID changes if the profile is deleted. */
  idSource: DeviceIdSource;
  /** Set when the ID comes from `--simulate-device NAME`. */
  simulatedAs: string | null;
  /**
   * After enrolling (or being refused at the device limit): an older device of this
   * account that this one looks like (most of its hardware matches), whose programs
   * `recoverDevice` can move here; else null.
   */
  recognisedAs: Recognition | null;
}

export interface AppStatus {
  providerUrl: string;
  /** Whether the provider answered the last request. */
  online: boolean;
  user: User | null;
  device: ThisDevice;
  secretStore: { kind: 'keychain' | 'insecure-file'; description: string };
  /** Local state and the keychain namespace. */
  profileDir: string;
  /** Installed programs, downloads and run logs (the profile folder unless the platform splits them). */
  dataDir: string;
}

export interface DeviceSummary extends Device {
  isThisDevice: boolean;
  /** Software IDs registered to this device. */
  software: string[];
}

export type InstallPhase = 'downloading' | 'installing' | 'licensing' | 'done' | 'failed' | 'cancelled';

export interface InstallProgress {
  softwareId: string;
  phase: InstallPhase;
  receivedBytes: number;
  totalBytes: number | null;
  bytesPerSecond: number;
  etaSeconds: number | null;
  /** For `failed`: the sentence to show. */
  message?: string;
}

export interface RunResult {
  softwareId: string;
  exitCode: number | null;
  signal: string | null;
  /** stdout and stderr as the program wrote them (capped). */
  output: string;
  /** The per-run log file. */
  logPath: string;
}

/** The newest run's log, for "Open log". */
export interface RunLog {
  softwareId: string;
  logPath: string;
  /** The log's text (its end, when longer than the app hands over). */
  text: string;
  truncated: boolean;
}

export interface SyncReport {
  /** Copies now registered here that this device had not seen. */
  arrivals: string[];
  /** Copies that left this device (their keys are removed). */
  departures: string[];
  /** Leases renewed. */
  refreshed: string[];
}

export interface RecoveryOutcome {
  recovery: Recovery;
  /** The retired device's name, for the sentence that reports it. */
  fromDeviceName: string;
}

export interface TransferOutcome {
  transfer: Transfer;
  /** True when this device was the source: its key is gone and the copy is marked moved. */
  leftThisDevice: boolean;
}

/** Every method, in one list: the IPC channel map and the web shell's routes. */
export const APP_METHODS = [
  'getStatus',
  'createAccount',
  'signIn',
  'signOut',
  'enrolDevice',
  'listDevices',
  'renameDevice',
  'retireDevice',
  'recoverDevice',
  'browseCatalog',
  'getSoftware',
  'buy',
  'getLibrary',
  'install',
  'cancelInstall',
  'uninstall',
  'run',
  'readRunLog',
  'transfer',
  'listTransfers',
  'sync',
] as const;

export type AppMethod = (typeof APP_METHODS)[number];

/** A method's input, as its schema in inputs.ts accepts it (written once, there). */
type In<M extends AppMethod> = z.input<(typeof APP_INPUTS)[M]>;

export interface AppApi {
  getStatus(): Promise<AppStatus>;
  createAccount(input: In<'createAccount'>): Promise<AppStatus>;
  signIn(input: In<'signIn'>): Promise<AppStatus>;
  signOut(): Promise<AppStatus>;
  /** Enrol this device under the signed-in user (idempotent). */
  enrolDevice(input: In<'enrolDevice'>): Promise<AppStatus>;
  listDevices(): Promise<DeviceSummary[]>;
  renameDevice(input: In<'renameDevice'>): Promise<DeviceSummary[]>;
  /** Retire a device; the provider refuses while software is registered to it. */
  retireDevice(input: In<'retireDevice'>): Promise<DeviceSummary[]>;
  /**
   * Move every copy of an older device of this account here in one atomic step, then
   * retire it (after a hardware change; DESIGN §2). Idempotent. A device not enrolled yet
   * (refused at the device limit) is enrolled in the old one's place by the same step.
   */
  recoverDevice(input: In<'recoverDevice'>): Promise<RecoveryOutcome>;
  browseCatalog(input: In<'browseCatalog'>): Promise<CatalogPage>;
  getSoftware(input: In<'getSoftware'>): Promise<SoftwareDetail>;
  /** Buy for this device (one Idempotency-Key per call, reused on retries). */
  buy(input: In<'buy'>): Promise<Purchase>;
  getLibrary(): Promise<LibraryItem[]>;
  /** Download, verify, install and license; progress arrives as `install-progress`. */
  install(input: In<'install'>): Promise<LibraryItem>;
  cancelInstall(input: In<'cancelInstall'>): Promise<void>;
  uninstall(input: In<'uninstall'>): Promise<LibraryItem>;
  /** The launch checks of S51–S54, then the program with `KEYPORT_LICENSE`. */
  run(input: In<'run'>): Promise<RunResult>;
  /** The newest run's log on this device, or null when it never ran here. */
  readRunLog(input: In<'readRunLog'>): Promise<RunLog | null>;
  transfer(input: In<'transfer'>): Promise<TransferOutcome>;
  listTransfers(): Promise<Transfer[]>;
  sync(): Promise<SyncReport>;
}

// The list and the interface name the same methods: a method added to only one of them
// fails to compile here.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type _EveryMethodListed = Holds<SameKeys<keyof AppApi, AppMethod>>;

export type AppInput<M extends AppMethod> = Parameters<AppApi[M]>[0];
export type AppOutput<M extends AppMethod> = Awaited<ReturnType<AppApi[M]>>;

export function isAppMethod(value: unknown): value is AppMethod {
  return typeof value === 'string' && (APP_METHODS as readonly string[]).includes(value);
}

/** The events the app pushes to the renderer. */
export interface AppEvents {
  'install-progress': InstallProgress;
  /** Something in the library changed (install, uninstall, purchase, transfer, sync). */
  'library-changed': { reason: string };
  'status-changed': AppStatus;
}
export type AppEventName = keyof AppEvents;
export type AppEvent = { [K in AppEventName]: { name: K; payload: AppEvents[K] } }[AppEventName];

export interface AppEventSource {
  /** Subscribe to every event; returns the unsubscribe function. */
  subscribe(listener: (event: AppEvent) => void): () => void;
}

/** What crosses IPC or loopback HTTP for one call: errors keep their code this way. */
export type AppEnvelope<T = unknown> =
  { ok: true; value: T } | { ok: false; error: { code: AppErrorCode; message: string } };

/** IPC channel names, one per method, plus the event channel. */
export const appChannel = (method: AppMethod): string => `keyport:${method}`;
export const APP_EVENT_CHANNEL = 'keyport:event';

/** The header that carries the web shell's per-launch secret on every /api request. */
export const WEB_SHELL_SECRET_HEADER = 'x-keyport-secret';

/**
 * What a shell hands the renderer: the raw transport. The renderer wraps it with
 * `createAppProxy` so errors come back as `AppError`s with their code (contextBridge
 * and HTTP would otherwise flatten them to plain messages).
 */
export interface AppBridge {
  invoke(method: AppMethod, input: unknown): Promise<AppEnvelope>;
  onEvent(listener: (event: AppEvent) => void): () => void;
}
