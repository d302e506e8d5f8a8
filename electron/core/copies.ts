/**
 * The account's copies: where the provider has each one registered, and what this device
 * records of those registered here (local state). `reconcile` makes the two agree —
 * arrivals are recorded, departures lose their keys (invariant 4) — and the names the
 * library shows are looked up once per process and remembered for offline use.
 */
import type { Registration } from '../../shared/provider-api/schemas.ts';
import type { SyncReport } from '../../shared/app-api/app-api.ts';
import type { LicenseKeeper } from './licenses.ts';
import type { LocalStateStore } from './local-state.ts';
import type { ProviderClient } from './provider-client.ts';
import type { Session } from './session.ts';
import type { ThisDevice } from './this-device.ts';

export interface CatalogEntry {
  name: string;
  summary: string;
}

export class Copies {
  /** Catalog entries seen in this process: names and summaries for the library. */
  private readonly catalogEntries = new Map<string, CatalogEntry>();

  constructor(
    private readonly provider: ProviderClient,
    private readonly session: Session,
    private readonly state: LocalStateStore,
    private readonly device: ThisDevice,
    private readonly licenses: LicenseKeeper,
  ) {}

  async registrations(): Promise<Registration[]> {
    this.session.require();
    return (await this.session.authenticated(() => this.provider.registrations())).registrations;
  }

  /** The copy of this software registered to this device, if there is one. */
  async registeredHere(softwareId: string): Promise<Registration | undefined> {
    return (await this.registrations()).find(
      (r) => r.softwareId === softwareId && r.deviceId === this.device.id,
    );
  }

  /** Arrivals and departures: make local state agree with where copies are registered. */
  async reconcile(registrations: Registration[]): Promise<SyncReport> {
    const report: SyncReport = { arrivals: [], departures: [], refreshed: [] };
    const here = new Map(
      registrations.filter((r) => r.deviceId === this.device.id).map((r) => [r.softwareId, r]),
    );
    for (const registration of here.values()) {
      const copy = this.state.copy(registration.softwareId);
      if (!copy || copy.status === 'moved' || copy.copyId !== registration.copyId) {
        await this.arrive(registration);
        report.arrivals.push(registration.softwareId);
      }
    }
    for (const copy of Object.values(this.state.current.copies)) {
      if (copy.status !== 'active' || here.has(copy.softwareId)) continue;
      // Still registered to the device its key was issued to, which is not this device ID:
      // a local mismatch (DEVICE_MISMATCH at launch), not a move. The key stays.
      const stillWithKey = registrations.some(
        (r) => r.softwareId === copy.softwareId && r.deviceId === copy.authDeviceId,
      );
      if (stillWithKey) continue;
      await this.licenses.markMoved(copy.softwareId);
      report.departures.push(copy.softwareId);
    }
    return report;
  }

  /**
   * A copy is (now) registered to this device: record it, keeping any install. Without a
   * name it is known by its ID until the next reconcile looks the name up.
   */
  async arrive(copy: { softwareId: string; copyId: string }, name?: string): Promise<void> {
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

  catalogEntry(softwareId: string): CatalogEntry | undefined {
    return this.catalogEntries.get(softwareId);
  }

  /** Look up the catalog entries the library shows and has not seen in this process. */
  async learnCatalogEntries(softwareIds: string[]): Promise<void> {
    const unknown = [...new Set(softwareIds)].filter((id) => !this.catalogEntries.has(id));
    const found = await Promise.all(
      unknown.map((softwareId) =>
        this.provider.software(softwareId).then(
          ({ software }) => software,
          () => null,
        ),
      ),
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
}
