/**
 * The library flow: every copy the account owns and where it is, merged with what this
 * device knows locally — so the library still shows what is installed here while the
 * provider cannot be asked.
 */
import type { Registration } from '../../../shared/provider-api/schemas.ts';
import type { AppApi, LibraryItem } from '../../../shared/app-api/app-api.ts';
import { AppError } from '../../../shared/app-api/app-errors.ts';
import type { CoreParts } from '../core-parts.ts';

type LibraryFlow = Pick<AppApi, 'getLibrary'>;

export function libraryFlow(parts: CoreParts): LibraryFlow {
  const { session, device, copies, state } = parts;
  return {
    async getLibrary() {
      let registrations: Registration[] | null = null;
      if (session.token) {
        try {
          registrations = await copies.registrations();
          await copies.reconcile(registrations);
          // Name the devices copies are on; a device enrolled since the last look needs a fetch.
          if (!device.knows(registrations.map((r) => r.deviceId))) await device.listAccountDevices();
          await copies.learnCatalogEntries([
            ...registrations.map((r) => r.softwareId),
            ...Object.keys(state.current.copies),
          ]);
        } catch (error) {
          if (!(error instanceof AppError && error.code === 'OFFLINE')) throw error;
        }
      }
      const items = new Map<string, LibraryItem>();
      for (const registration of registrations ?? []) {
        items.set(registration.softwareId, libraryItem(parts, registration.softwareId, registration));
      }
      // What this device knows locally, even when the provider cannot be asked right now.
      for (const copy of Object.values(state.current.copies)) {
        if (
          !items.has(copy.softwareId) &&
          (registrations === null || copy.installed || copy.status === 'moved')
        ) {
          items.set(copy.softwareId, libraryItem(parts, copy.softwareId, null));
        }
      }
      return [...items.values()].sort((a, b) => a.name.localeCompare(b.name));
    },
  };
}

/** One copy as the library shows it: where it is, whether it runs here, and why not. */
export function libraryItem(
  parts: CoreParts,
  softwareId: string,
  registration: Registration | null,
): LibraryItem {
  const { state, device, copies } = parts;
  const copy = state.copy(softwareId);
  const registeredHere = registration?.deviceId === device.id;
  const deviceName = device.nameOf(registration?.deviceId ?? null);
  const entry = copies.catalogEntry(softwareId);
  const base = {
    softwareId,
    name: entry?.name ?? copy?.name ?? softwareId,
    summary: entry?.summary ?? '',
    copyId: registration?.copyId ?? copy?.copyId ?? null,
    registeredDeviceId: registration?.deviceId ?? null,
    registeredDeviceName: deviceName,
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
      problem: `${base.name} has moved to ${deviceName ? `"${deviceName}"` : 'another device'} and no longer runs here.`,
    };
  }
  if (registration && !registeredHere) {
    return {
      ...base,
      state: 'elsewhere',
      problem: `${base.name} is on "${deviceName ?? 'another device'}".`,
    };
  }
  if (!copy?.installed) return { ...base, state: 'ready-to-install', problem: null };
  const leaseOk =
    copy.authDeviceId === device.id &&
    copy.licenseExpiresAt !== null &&
    Date.parse(copy.licenseExpiresAt) > parts.now().getTime();
  // A renewal the provider refused (DEVICE_CLONED): it runs until the lease ends, and says why.
  const refused = copy.renewalRefused ?? null;
  return leaseOk
    ? { ...base, state: 'installed', problem: refused }
    : {
        ...base,
        state: 'needs-license',
        problem: refused ?? `${base.name} needs a license on this device. Go online and install it again.`,
      };
}
