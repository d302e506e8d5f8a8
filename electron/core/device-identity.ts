/**
 * This machine's device ID (DESIGN §2): HMAC-SHA256 under the app's salt of a canonical
 * list of hardware identifiers — system, BIOS and baseboard serials and UUIDs from
 * `systeminformation`, plus the OS install ID from `node-machine-id`. Placeholder values
 * that vendors ship unfilled are dropped, so two machines with "To Be Filled By O.E.M."
 * do not collide. The raw values never leave this module; only the HMAC and the names of
 * the sources that contributed do.
 */
import machineId from 'node-machine-id';
import si from 'systeminformation';
import { deviceIdFrom, simulatedDeviceId } from '../../shared/license/device-id.ts';
import { AppError } from '../../shared/app-api/app-errors.ts';

export interface DeviceIdentity {
  deviceId: string;
  /** Which sources went in, e.g. `system.uuid`, `os.machine-id`; never their values. */
  sources: string[];
  simulatedAs: string | null;
}

/** Values that mean "not set" on real firmware (compared lowercased and trimmed). */
const PLACEHOLDERS = new Set([
  '',
  '-',
  '.',
  '0',
  'none',
  'null',
  'n/a',
  'na',
  'unknown',
  'invalid',
  'default string',
  'to be filled by o.e.m.',
  'to be filled by oem',
  'o.e.m.',
  'oem',
  'system serial number',
  'system product name',
  'chassis serial number',
  'base board serial number',
  'not specified',
  'not applicable',
  'not available',
  'not present',
  '0123456789',
  '123456789',
  '1234567890',
  'xxxxxxxxxx',
]);

export function isPlaceholder(value: string | null | undefined): boolean {
  if (value === null || value === undefined) return true;
  const normal = value.trim().toLowerCase();
  if (PLACEHOLDERS.has(normal)) return true;
  // All-zero or all-F UUIDs and serials made of one repeated character.
  const bare = normal.replace(/[-\s:]/g, '');
  return bare === '' || /^(.)\1*$/.test(bare);
}

/**
 * The device identity from named identifier values. Sorted `name=value` lines make the
 * list canonical, so the order sources answer in cannot change the ID.
 */
export function identityFromIdentifiers(
  identifiers: Record<string, string | null | undefined>,
): DeviceIdentity {
  const usable = Object.entries(identifiers)
    .filter((entry): entry is [string, string] => !isPlaceholder(entry[1]))
    .map(([name, value]) => [name, value.trim().toLowerCase()] as const)
    .sort(([a], [b]) => a.localeCompare(b));
  if (usable.length === 0) {
    throw new AppError(
      'UNEXPECTED',
      'This machine reports no hardware or OS identifiers, so Keyport cannot tell which device it is. ' +
        'Start it with --simulate-device NAME to use a named device ID instead.',
    );
  }
  return {
    deviceId: deviceIdFrom(usable.map(([name, value]) => `${name}=${value}`).join('\n')),
    sources: usable.map(([name]) => name),
    simulatedAs: null,
  };
}

/** Read every identifier this machine offers; a source that fails simply contributes nothing. */
export async function readHardwareIdentifiers(): Promise<Record<string, string | undefined>> {
  const [system, bios, baseboard, osId] = await Promise.all([
    si.system().catch(() => undefined),
    si.bios().catch(() => undefined),
    si.baseboard().catch(() => undefined),
    machineId.machineId(true).catch(() => undefined),
  ]);
  return {
    'system.uuid': system?.uuid,
    'system.serial': system?.serial,
    'bios.serial': bios?.serial,
    'baseboard.serial': baseboard?.serial,
    'os.machine-id': osId,
  };
}

let cached: Promise<DeviceIdentity> | undefined;

/**
 * This device's identity, read once per process: hardware does not change while the app
 * runs, and reading it (DMI tables, the registry) is slow on some machines.
 */
export function readDeviceIdentity(simulateDevice: string | null): Promise<DeviceIdentity> {
  if (simulateDevice !== null) {
    return Promise.resolve({
      deviceId: simulatedDeviceId(simulateDevice),
      sources: ['simulated'],
      simulatedAs: simulateDevice,
    });
  }
  cached ??= readHardwareIdentifiers().then(identityFromIdentifiers);
  return cached;
}
