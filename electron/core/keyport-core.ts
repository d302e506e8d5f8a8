/**
 * The core: `AppApi` implemented in plain Node, for the Electron shell, the web
 * shell and the CLI alike. It composes the parts — device identity, secret store,
 * provider core, downloader, installer, license keeper, launcher — into the flows of
 * DESIGN §1: enrol, buy, install, license, run, transfer, and the sync that reconciles
 * this device's state with the registered information.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Device, Registration } from '../../shared/provider-api/schemas.ts';
import type {
  AppStatus,
  AppApi,
  AppEvent,
  AppEventName,
  AppEvents,
  AppEventSource,
  DeviceSummary,
  InstallProgress,
  LibraryItem,
  RunLog,
  SyncReport,
} from '../../shared/app-api/app-api.ts';
import { AppError, copyGoneFromDevice, storeUnreachable } from '../../shared/app-api/app-errors.ts';
import { shortDeviceId } from '../../shared/license/license.ts';
import type { AppOptions } from './app-options.ts';
import { readDeviceIdentity, type DeviceIdentity } from './device-identity.ts';
import { download } from './downloader.ts';
import { cleanupInstallLeftovers, installPackage, resolveEntryPoint, uninstallPackage } from './installer.ts';
import { checkLaunch, readLatestRunLog, runProgram } from './launcher.ts';
import { LicenseKeeper } from './licenses.ts';
import { LocalStateStore, type LocalCopy } from './local-state.ts';
import { ProviderClient } from './provider-client.ts';
import { openSecretStore, type SecretStore } from './secret-store.ts';

export interface KeyportCore extends AppApi, AppEventSource {
  close(): Promise<void>;
}

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

const SESSION_KEY = 'session';
const DAY = 24 * 60 * 60 * 1000;

export async function createKeyportCore(
  options: AppOptions,
  dependencies: CoreDependencies = {},
): Promise<KeyportCore> {
  await mkdir(options.profileDir, { recursive: true, mode: 0o700 });
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const secrets = dependencies.secretStore ?? (await openSecretStore(options));
  const [state, identity, token] = await Promise.all([
    LocalStateStore.open(options.profileDir),
    readDeviceIdentity(options.simulateDevice),
    secrets.get(SESSION_KEY),
  ]);
  const core = new Client(options, dependencies, secrets, state, identity, token);
  await core.start();
  return core;
}

class Client implements KeyportCore {
  private readonly provider: ProviderClient;
  private readonly licenses: LicenseKeeper;
  private readonly listeners = new Set<(event: AppEvent) => void>();
  private readonly installs = new Map<string, AbortController>();
  /** Catalog entries seen in this process: names and summaries for the library. */
  private readonly catalogEntries = new Map<string, { name: string; summary: string }>();
  private readonly now: () => Date;
  private readonly appsDir: string;
  private readonly downloadsDir: string;
  private readonly logsDir: string;
  /** Until a request fails, assume the provider is there (start() checks soon after). */
  private online = true;
  private devices: Device[] | null = null;
  private syncTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: AppOptions,
    private readonly dependencies: CoreDependencies,
    private readonly secrets: SecretStore,
    private readonly state: LocalStateStore,
    private readonly identity: DeviceIdentity,
    private token: string | null,
  ) {
    this.now = dependencies.now ?? (() => new Date());
    this.provider = new ProviderClient({
      baseUrl: options.providerUrl,
      token: () => this.token,
      fetch: dependencies.fetch,
      retryDelays: dependencies.retryDelays,
      onReachability: (online) => this.setOnline(online),
    });
    this.licenses = new LicenseKeeper(this.provider, secrets, state, this.now);
    this.appsDir = path.join(options.dataDir, 'apps');
    this.downloadsDir = path.join(options.dataDir, 'downloads');
    this.logsDir = path.join(options.dataDir, 'logs');
  }

  /** Tidy what a crash may have left, then sync in the background if signed in. */
  async start(): Promise<void> {
    await mkdir(this.appsDir, { recursive: true });
    await cleanupInstallLeftovers(this.appsDir);
    const interval = this.dependencies.syncIntervalMs ?? 15 * 60 * 1000;
    if (interval > 0) {
      const background = () => void this.sync().catch(() => undefined);
      if (this.token) background();
      // Signed out, there is nothing to sync, but the sign-in screen should still learn
      // early whether the store answers.
      else void this.provider.catalog({ limit: 1 }).catch(() => undefined);
      this.syncTimer = setInterval(background, interval);
      this.syncTimer.unref();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.syncTimer);
    for (const controller of this.installs.values()) controller.abort();
    this.listeners.clear();
  }

  // ── events ────────────────────────────────────────────────────────────────
  subscribe(listener: (event: AppEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit<K extends AppEventName>(name: K, payload: AppEvents[K]): void {
    for (const listener of this.listeners) listener({ name, payload } as AppEvent);
  }

  private setOnline(online: boolean): void {
    if (online === this.online) return;
    this.online = online;
    this.emit('status-changed', this.status());
  }

  // ── account and device ───────────────────────────────────────────────────
  async getStatus(): Promise<AppStatus> {
    // Once per process, learn this device's enrolled name (and whether it is still enrolled).
    if (this.token && this.devices === null) await this.loadDevices().catch(() => undefined);
    return this.status();
  }

  private status(): AppStatus {
    const enrolledAs = this.devices?.find((device) => device.deviceId === this.identity.deviceId);
    return {
      providerUrl: this.options.providerUrl,
      online: this.online,
      user: this.state.current.user,
      device: {
        deviceId: this.identity.deviceId,
        shortId: shortDeviceId(this.identity.deviceId),
        name: enrolledAs?.name ?? this.defaultDeviceName(),
        platform: process.platform,
        enrolled: this.state.current.enrolled,
        sources: this.identity.sources,
        simulatedAs: this.identity.simulatedAs,
      },
      secretStore: { kind: this.secrets.kind, description: this.secrets.description },
      profileDir: this.options.profileDir,
      dataDir: this.options.dataDir,
    };
  }

  private defaultDeviceName(): string {
    return this.identity.simulatedAs ?? hostname();
  }

  async createAccount(input: { email: string; password: string; displayName: string }): Promise<AppStatus> {
    const { email, password, displayName } = input;
    return this.startSession(await this.provider.createAccount({ email, password, displayName }));
  }

  async signIn(input: { email: string; password: string }): Promise<AppStatus> {
    return this.startSession(await this.provider.signIn({ email: input.email, password: input.password }));
  }

  private async startSession(session: { user: AppStatus['user']; token: string }): Promise<AppStatus> {
    this.token = session.token;
    await this.secrets.set(SESSION_KEY, session.token);
    await this.state.update((state) => {
      state.user = session.user;
      state.enrolled = false;
    });
    await this.loadDevices();
    this.emit('status-changed', this.status());
    return this.status();
  }

  async signOut(): Promise<AppStatus> {
    if (this.token) {
      await this.provider.signOut().catch(() => undefined); // an ended or offline session still signs out here
    }
    await this.endSession();
    return this.status();
  }

  private async endSession(): Promise<void> {
    this.token = null;
    this.devices = null;
    await this.secrets.delete(SESSION_KEY);
    await this.state.update((state) => {
      state.user = null;
      state.enrolled = false;
    });
    this.emit('status-changed', this.status());
  }

  async enrolDevice(input: { name?: string }): Promise<AppStatus> {
    this.requireSession();
    await this.authenticated(() =>
      this.provider.enrolDevice({
        deviceId: this.identity.deviceId,
        name: input.name ?? this.defaultDeviceName(),
        platform: process.platform,
      }),
    );
    await this.loadDevices();
    this.emit('status-changed', this.status());
    return this.status();
  }

  async listDevices(): Promise<DeviceSummary[]> {
    this.requireSession();
    const [devices, registrations] = await Promise.all([this.loadDevices(), this.registrations()]);
    return devices.map((device) => ({
      ...device,
      isThisDevice: device.deviceId === this.identity.deviceId,
      software: registrations.filter((r) => r.deviceId === device.deviceId).map((r) => r.softwareId),
    }));
  }

  renameDevice(input: { deviceId: string; name: string }): Promise<DeviceSummary[]> {
    return this.changeDevice(() => this.provider.renameDevice(input.deviceId, input.name));
  }

  retireDevice(input: { deviceId: string }): Promise<DeviceSummary[]> {
    return this.changeDevice(() => this.provider.retireDevice(input.deviceId));
  }

  /**
   * A change to one of the user's devices, then the list as it now is. This device's name
   * or enrolment may be what changed, so the status goes out too.
   */
  private async changeDevice(change: () => Promise<unknown>): Promise<DeviceSummary[]> {
    this.requireSession();
    await this.authenticated(change);
    const devices = await this.listDevices();
    this.emit('status-changed', this.status());
    return devices;
  }

  private async loadDevices(): Promise<Device[]> {
    const { devices } = await this.authenticated(() => this.provider.listDevices());
    this.devices = devices;
    const enrolled = devices.some((device) => device.deviceId === this.identity.deviceId);
    if (enrolled !== this.state.current.enrolled) {
      await this.state.update((state) => {
        state.enrolled = enrolled;
      });
    }
    return devices;
  }

  // ── store ─────────────────────────────────────────────────────────────────
  browseCatalog(input: { q?: string; cursor?: string; limit?: number }) {
    return this.provider.catalog(input);
  }

  async getSoftware(input: { softwareId: string }) {
    return (await this.provider.software(input.softwareId)).software;
  }

  async buy(input: { softwareId: string }) {
    await this.requireEnrolled();
    // One key per purchase intent: the core's retries resend it, so a lost answer
    // never charges twice (DESIGN §2).
    const { purchase } = await this.authenticated(() =>
      this.provider.purchase(
        { softwareId: input.softwareId, deviceId: this.identity.deviceId },
        randomUUID(),
      ),
    );
    await this.arrive({ softwareId: purchase.softwareId, copyId: purchase.copyId });
    this.emit('library-changed', { reason: `bought ${purchase.softwareId}` });
    return purchase;
  }

  // ── library ───────────────────────────────────────────────────────────────
  async getLibrary(): Promise<LibraryItem[]> {
    let registrations: Registration[] | null = null;
    if (this.token) {
      try {
        registrations = await this.registrations();
        await this.reconcile(registrations);
        // Name the devices copies are on; a device enrolled since the last look needs a fetch.
        const known = new Set(this.devices?.map((device) => device.deviceId));
        if (registrations.some((r) => !known.has(r.deviceId))) await this.loadDevices();
        await this.learnCatalogEntries([
          ...registrations.map((r) => r.softwareId),
          ...Object.keys(this.state.current.copies),
        ]);
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'OFFLINE')) throw error;
      }
    }
    const items = new Map<string, LibraryItem>();
    for (const registration of registrations ?? []) {
      items.set(registration.softwareId, this.libraryItem(registration.softwareId, registration));
    }
    // What this device knows locally, even when the provider cannot be asked right now.
    for (const copy of Object.values(this.state.current.copies)) {
      if (
        !items.has(copy.softwareId) &&
        (registrations === null || copy.installed || copy.status === 'moved')
      ) {
        items.set(copy.softwareId, this.libraryItem(copy.softwareId, null));
      }
    }
    return [...items.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  private libraryItem(softwareId: string, registration: Registration | null): LibraryItem {
    const copy = this.state.copy(softwareId);
    const registeredHere = registration?.deviceId === this.identity.deviceId;
    const device = this.devices?.find((d) => d.deviceId === registration?.deviceId);
    const entry = this.catalogEntries.get(softwareId);
    const base = {
      softwareId,
      name: entry?.name ?? copy?.name ?? softwareId,
      summary: entry?.summary ?? '',
      copyId: registration?.copyId ?? copy?.copyId ?? null,
      registeredDeviceId: registration?.deviceId ?? null,
      registeredDeviceName: device?.name ?? null,
      installed: copy?.installed
        ? {
            version: copy.installed.version,
            installDir: copy.installed.installDir,
            installedAt: copy.installed.installedAt,
          }
        : null,
      licenseExpiresAt: copy?.licenseExpiresAt ?? null,
    };
    if (copy?.status === 'moved' && !registeredHere) {
      return {
        ...base,
        state: 'moved',
        problem: `${base.name} has moved to ${device ? `"${device.name}"` : 'another device'} and no longer runs here.`,
      };
    }
    if (registration && !registeredHere) {
      return {
        ...base,
        state: 'elsewhere',
        problem: `${base.name} is on "${device?.name ?? 'another device'}".`,
      };
    }
    if (!copy?.installed) return { ...base, state: 'ready-to-install', problem: null };
    const leaseOk =
      copy.authDeviceId === this.identity.deviceId &&
      copy.licenseExpiresAt !== null &&
      Date.parse(copy.licenseExpiresAt) > this.now().getTime();
    return leaseOk
      ? { ...base, state: 'installed', problem: null }
      : {
          ...base,
          state: 'needs-license',
          problem: `${base.name} needs a license on this device. Go online and install it again.`,
        };
  }

  // ── install and uninstall ────────────────────────────────────────────────
  async install(input: { softwareId: string }): Promise<LibraryItem> {
    const { softwareId } = input;
    await this.requireEnrolled();
    if (this.installs.has(softwareId)) {
      throw new AppError('BUSY', `${softwareId} is already being installed. Wait for it to finish.`);
    }
    const controller = new AbortController();
    this.installs.set(softwareId, controller);
    const progress = (update: Omit<InstallProgress, 'softwareId'>) =>
      this.emit('install-progress', { softwareId, ...update });
    const idle = { receivedBytes: 0, totalBytes: null, bytesPerSecond: 0, etaSeconds: null };
    let archivePath: string | null = null;
    // Cancelling is honoured between steps too, not only while bytes are flowing.
    const checkpoint = () => {
      if (controller.signal.aborted)
        throw new AppError('CANCELLED', `Installing ${softwareId} was cancelled.`);
    };
    try {
      const registration = (await this.registrations()).find(
        (r) => r.softwareId === softwareId && r.deviceId === this.identity.deviceId,
      );
      if (!registration) {
        throw new AppError(
          'NOT_REGISTERED',
          `${softwareId} is not registered to this device. Buy it, or transfer it here from another device.`,
        );
      }
      checkpoint();
      const software = await this.getSoftware({ softwareId });
      checkpoint();
      await this.arrive({ softwareId, copyId: registration.copyId }, software.name);
      const release = software.releases.find((r) => r.version === software.version);
      progress({ phase: 'downloading', ...idle, totalBytes: release?.sizeBytes ?? null });

      archivePath = path.join(this.downloadsDir, softwareId, `${software.version}.tar.gz`);
      await this.dropStaleDownloads(archivePath);
      const downloaded = await download({
        url: this.provider.downloadUrl(softwareId, this.identity.deviceId),
        headers: this.provider.authHeaders(),
        destination: archivePath,
        expectedSha256: release?.sha256,
        signal: controller.signal,
        fetch: this.dependencies.fetch,
        onProgress: (p) => progress({ phase: 'downloading', ...p }),
      });
      // The SHA-256 was checked as the bytes streamed in: the next phase is the install.
      const done = { receivedBytes: downloaded.sizeBytes, totalBytes: downloaded.sizeBytes };
      progress({ phase: 'installing', ...done, bytesPerSecond: 0, etaSeconds: 0 });
      checkpoint();
      const installed = await installPackage({ archivePath, installRoot: this.appsDir, softwareId });
      await this.state.update((state) => {
        const copy = state.copies[softwareId];
        if (copy) {
          copy.installed = {
            version: installed.manifest.version,
            installDir: installed.installDir,
            entry: installed.manifest.entry,
            installedAt: this.now().toISOString(),
          };
        }
      });
      progress({ phase: 'licensing', ...done, bytesPerSecond: 0, etaSeconds: 0 });
      await this.authenticated(() => this.licenses.acquire(softwareId, this.identity.deviceId));
      progress({ phase: 'done', ...done, bytesPerSecond: 0, etaSeconds: 0 });
      this.emit('library-changed', { reason: `installed ${softwareId}` });
      return this.libraryItem(softwareId, registration);
    } catch (error) {
      const cancelled = error instanceof AppError && error.code === 'CANCELLED';
      progress({
        phase: cancelled ? 'cancelled' : 'failed',
        ...idle,
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    } finally {
      this.installs.delete(softwareId);
      if (archivePath) await rm(archivePath, { force: true });
    }
  }

  /** A partial download of an older release can never be resumed: remove it. */
  private async dropStaleDownloads(keep: string): Promise<void> {
    const folder = path.dirname(keep);
    await mkdir(folder, { recursive: true });
    for (const name of await readdir(folder)) {
      if (!name.startsWith(path.basename(keep))) await rm(path.join(folder, name), { force: true });
    }
  }

  async cancelInstall(input: { softwareId: string }): Promise<void> {
    this.installs.get(input.softwareId)?.abort();
  }

  async uninstall(input: { softwareId: string }): Promise<LibraryItem> {
    const { softwareId } = input;
    if (this.installs.has(softwareId)) {
      throw new AppError('BUSY', `${softwareId} is being installed. Cancel that first.`);
    }
    const copy = this.state.copy(softwareId);
    await uninstallPackage(this.appsDir, softwareId);
    // The key goes with the program: a fresh one is issued on the next install.
    await this.licenses.forget(softwareId);
    if (copy) {
      await this.state.update((state) => {
        const entry = state.copies[softwareId];
        if (entry) entry.installed = null;
      });
    }
    this.emit('library-changed', { reason: `uninstalled ${softwareId}` });
    return this.libraryItem(softwareId, null);
  }

  // ── run (S51–S54) ─────────────────────────────────────────────────────────
  async run(input: { softwareId: string }) {
    const { softwareId } = input;
    await this.checkWithProvider(softwareId);
    const identity = await readDeviceIdentity(this.options.simulateDevice);
    const copy = this.state.copy(softwareId);
    const licenseKey = await this.licenses.readKey(softwareId);
    const approved = await checkLaunch({
      softwareId,
      copy,
      licenseKey,
      currentDeviceId: identity.deviceId,
      jwks: this.state.current.jwks,
      now: this.now(),
    });
    const { installed } = approved;
    const entryPath = await resolveEntryPoint({
      installDir: installed.installDir,
      manifest: { version: installed.version, entry: installed.entry },
    });
    return runProgram({
      softwareId,
      name: approved.name,
      installDir: installed.installDir,
      entryPath,
      licenseKey: approved.licenseKey,
      deviceId: identity.deviceId,
      logDir: this.logsDir,
    });
  }

  readRunLog(input: { softwareId: string }): Promise<RunLog | null> {
    return readLatestRunLog(this.logsDir, input.softwareId);
  }

  /**
   * While online, a launch first asks whether the copy is still registered here (so a
   * copy moved away stops at once, not when its lease ends) and renews a lease that is
   * running low. Offline, the lease alone decides.
   */
  private async checkWithProvider(softwareId: string): Promise<void> {
    const copy = this.state.copy(softwareId);
    if (!this.token || !copy || copy.status !== 'active') return;
    // A profile carried to another machine: say so (DEVICE_MISMATCH), do not rewrite its state.
    if (copy.authDeviceId !== null && copy.authDeviceId !== this.identity.deviceId) return;
    try {
      const registered = (await this.registrations()).some(
        (r) => r.softwareId === softwareId && r.deviceId === this.identity.deviceId,
      );
      if (!registered) {
        await this.licenses.markMoved(softwareId);
        this.emit('library-changed', { reason: `${softwareId} moved away` });
        return;
      }
      if (this.leaseRunningLow(copy)) await this.licenses.refresh(softwareId, this.identity.deviceId);
    } catch (error) {
      if (storeUnreachable(error)) return;
      if (error instanceof AppError && error.code === 'LICENSE_REVOKED') return; // marked moved already
      throw error;
    }
  }

  private leaseRunningLow(copy: LocalCopy): boolean {
    const margin = this.dependencies.leaseRefreshMarginMs ?? 20 * DAY;
    return (
      copy.licenseExpiresAt === null || Date.parse(copy.licenseExpiresAt) - this.now().getTime() < margin
    );
  }

  // ── transfer (S81–S97) ────────────────────────────────────────────────────
  async transfer(input: { softwareId: string; sourceDeviceId: string; destinationDeviceId: string }) {
    this.requireSession();
    const { transfer } = await this.authenticated(() => this.provider.transfer(input, randomUUID()));
    const leftThisDevice = transfer.sourceDeviceId === this.identity.deviceId;
    if (leftThisDevice) await this.licenses.markMoved(transfer.softwareId);
    if (transfer.destinationDeviceId === this.identity.deviceId) {
      await this.arrive({ softwareId: transfer.softwareId, copyId: transfer.copyId });
    }
    this.emit('library-changed', { reason: `moved ${transfer.softwareId}` });
    return { transfer, leftThisDevice };
  }

  async listTransfers() {
    this.requireSession();
    return (await this.authenticated(() => this.provider.transfers())).transfers;
  }

  // ── sync ──────────────────────────────────────────────────────────────────
  /** Reconcile with the registered information, refresh keys, renew low leases. */
  async sync(): Promise<SyncReport> {
    this.requireSession();
    await this.loadDevices();
    const registrations = await this.registrations();
    const report = await this.reconcile(registrations);
    await this.licenses.jwks({ refresh: true });
    for (const copy of Object.values(this.state.current.copies)) {
      if (copy.status !== 'active' || copy.authDeviceId === null || !this.leaseRunningLow(copy)) continue;
      try {
        await this.licenses.refresh(copy.softwareId, this.identity.deviceId);
        report.refreshed.push(copy.softwareId);
      } catch (error) {
        if (copyGoneFromDevice(error)) {
          report.departures.push(copy.softwareId);
        } else throw error;
      }
    }
    if (report.arrivals.length + report.departures.length + report.refreshed.length > 0) {
      this.emit('library-changed', { reason: 'sync' });
    }
    return report;
  }

  /** Arrivals and departures: make local state agree with where copies are registered. */
  private async reconcile(registrations: Registration[]): Promise<SyncReport> {
    const report: SyncReport = { arrivals: [], departures: [], refreshed: [] };
    const here = new Map(
      registrations.filter((r) => r.deviceId === this.identity.deviceId).map((r) => [r.softwareId, r]),
    );
    for (const registration of here.values()) {
      const copy = this.state.copy(registration.softwareId);
      if (!copy || copy.status === 'moved' || copy.copyId !== registration.copyId) {
        await this.arrive(registration);
        report.arrivals.push(registration.softwareId);
      }
    }
    for (const copy of Object.values(this.state.current.copies)) {
      if (copy.status === 'active' && !here.has(copy.softwareId)) {
        await this.licenses.markMoved(copy.softwareId);
        report.departures.push(copy.softwareId);
      }
    }
    return report;
  }

  /**
   * A copy is (now) registered to this device: record it, keeping any install. Without a
   * name it is known by its ID until the next reconcile looks the name up.
   */
  private async arrive(copy: { softwareId: string; copyId: string }, name?: string): Promise<void> {
    await this.state.updateCopy(
      copy.softwareId,
      {
        copyId: copy.copyId,
        name: name ?? copy.softwareId,
        status: 'active',
        authDeviceId: null,
        licenseExpiresAt: null,
        installed: null,
        movedAt: null,
      },
      (entry) => {
        if (entry.copyId !== copy.copyId || entry.status === 'moved') {
          entry.authDeviceId = null;
          entry.licenseExpiresAt = null;
        }
        entry.copyId = copy.copyId;
        entry.status = 'active';
        entry.movedAt = null;
        if (name) entry.name = name;
      },
    );
  }

  /** Look up the catalog entries the library shows and has not seen in this process. */
  private async learnCatalogEntries(softwareIds: string[]): Promise<void> {
    const unknown = [...new Set(softwareIds)].filter((id) => !this.catalogEntries.has(id));
    const found = await Promise.all(
      unknown.map((softwareId) => this.getSoftware({ softwareId }).catch(() => null)),
    );
    const named = found.filter((software) => software !== null);
    for (const software of named) this.catalogEntries.set(software.softwareId, software);
    if (named.some((software) => this.state.copy(software.softwareId)?.name === software.softwareId)) {
      // Remember names locally too, for the library shown while offline.
      await this.state.update((state) => {
        for (const software of named) {
          const copy = state.copies[software.softwareId];
          if (copy) copy.name = software.name;
        }
      });
    }
  }

  // ── plumbing ──────────────────────────────────────────────────────────────
  private async registrations(): Promise<Registration[]> {
    this.requireSession();
    return (await this.authenticated(() => this.provider.registrations())).registrations;
  }

  private requireSession(): void {
    if (!this.token) throw new AppError('NOT_SIGNED_IN', 'Sign in to your Keyport account first.');
  }

  private async requireEnrolled(): Promise<void> {
    this.requireSession();
    if (this.state.current.enrolled) return;
    await this.loadDevices();
    if (!this.state.current.enrolled) {
      throw new AppError('NOT_ENROLLED', 'Enrol this device to your account first, then try again.');
    }
  }

  /** Run a provider call; an ended session signs out here too, so the app asks to sign in. */
  private async authenticated<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof AppError && error.code === 'UNAUTHENTICATED' && this.token)
        await this.endSession();
      throw error;
    }
  }
}
