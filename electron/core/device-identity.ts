/**
 * This machine's identity (DESIGN §2), in two parts:
 *
 * - **The device ID**: an HMAC of one anchor, the OS install ID (`/etc/machine-id` on Linux,
 *   `MachineGuid` on Windows, `IOPlatformUUID` on macOS). It reads the same for a user and
 *   for root (the DMI serials do not: Linux shows them to root only), and a new disk or a
 *   BIOS update leaves it alone. Never a host name. Where the OS has no install ID (a minimal
 *   container), a random one is generated once and kept in the profile (`install-id`), and
 *   the identity says so: that ID changes if the profile is deleted.
 * - **Hardware components** (system UUID, baseboard serial, system disk serial, primary MAC,
 *   CPU model), each HMAC'd on its own, so the provider can recognise this machine after a
 *   hardware change by how many still match. Placeholder values that vendors ship unfilled
 *   are dropped, so two boards saying "To Be Filled By O.E.M." do not match each other.
 *
 * Raw values never leave this module; only HMACs and the names of the true sources do.
 * The readers are injectable, so tests can be a user, root, a container or a clone.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import path from 'node:path';
import machineId from 'node-machine-id';
import si from 'systeminformation';
import {
  COMPONENT_NAMES,
  type ComponentName,
  type DeviceComponents,
  type DeviceIdSource,
} from '../../shared/provider-api/schemas.ts';
import {
  componentHmac,
  deviceIdFrom,
  simulatedComponent,
  simulatedDeviceId,
} from '../../shared/license/device-id.ts';
import { AppError } from '../../shared/app-api/app-errors.ts';

export interface DeviceIdentity {
  deviceId: string;
  /** `os`: the OS install ID; `generated`: kept in the profile; `simulated`: `--simulate-device`. */
  idSource: DeviceIdSource;
  /** The anchor's source (`os.machine-id`, `profile.install-id`, …), then the components that contributed. */
  sources: string[];
  /** Each contributing component's HMAC; the provider compares them one by one. */
  components: DeviceComponents;
  simulatedAs: string | null;
}

/** Where an OS install ID was read from. */
export type OsInstallIdSource = 'os.machine-id' | 'os.machine-guid' | 'os.platform-uuid';
export const GENERATED_ID_SOURCE = 'profile.install-id';
/** The file in the profile that holds a generated install ID. */
export const INSTALL_ID_FILE = 'install-id';

export type HardwareReadings = Partial<Record<ComponentName, string | null | undefined>>;

/** How this machine is read. Tests pass their own; `SYSTEM_READERS` reads the real one. */
export interface IdentityReaders {
  platform: NodeJS.Platform;
  /** A file's text, or null when it is missing or unreadable (Linux's machine-id files). */
  readTextFile(file: string): Promise<string | null>;
  /**
   * What `node-machine-id` reports on Windows (`MachineGuid`) and macOS (`IOPlatformUUID`);
   * where it cannot read those it may return the host name, which is refused here.
   */
  machineId(): Promise<string | null>;
  hostname(): string;
  /** Raw component values; any may be missing (not offered, or not readable by this user). */
  hardware(): Promise<HardwareReadings>;
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
  // All-zero or all-F UUIDs, MACs and serials made of one repeated character.
  const bare = normal.replace(/[-\s:]/g, '');
  return bare === '' || /^(.)\1*$/.test(bare);
}

// ── the anchor: the OS install ID ────────────────────────────────────────────
const MACHINE_ID = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** systemd's machine-id: 32 hex digits, not all zero, not the "uninitialized" of a first boot. */
function validMachineId(text: string | null): string | null {
  const value = text?.trim().toLowerCase() ?? '';
  return MACHINE_ID.test(value) && !isPlaceholder(value) ? value : null;
}

/** A GUID or UUID the OS assigned, and never the host name a reader fell back to. */
function validOsUuid(text: string | null, host: string): string | null {
  const value = text?.trim().toLowerCase() ?? '';
  if (value === host.trim().toLowerCase()) return null;
  return UUID.test(value) && !isPlaceholder(value) ? value : null;
}

/**
 * The OS install ID, or null where the OS has none. On Linux the two machine-id files are
 * read directly (readable by every user), in systemd's order: `node-machine-id` reads them
 * through a shell that falls back to the host name, which would make every container with
 * the same host name one device.
 */
export async function readOsInstallId(
  readers: IdentityReaders,
): Promise<{ source: OsInstallIdSource; value: string } | null> {
  if (readers.platform === 'linux') {
    for (const file of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
      const value = validMachineId(await readers.readTextFile(file));
      if (value) return { source: 'os.machine-id', value };
    }
    return null;
  }
  if (readers.platform === 'win32' || readers.platform === 'darwin') {
    const value = validOsUuid(await readers.machineId().catch(() => null), readers.hostname());
    if (!value) return null;
    return { source: readers.platform === 'win32' ? 'os.machine-guid' : 'os.platform-uuid', value };
  }
  return null;
}

/**
 * The install ID this profile keeps where the OS has none: generated once, then read. It is
 * created exclusively (written aside, then hard-linked into place, which fails if the file
 * exists), so two processes starting at once cannot make two, and nobody reads half of one.
 */
export async function profileInstallId(profileDir: string): Promise<string> {
  const file = path.join(profileDir, INSTALL_ID_FILE);
  const existing = await readInstallId(file);
  if (existing !== null) return existing;
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(aside, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  try {
    await link(aside, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(aside, { force: true });
  }
  const made = await readInstallId(file);
  if (made === null) throw damagedInstallId(file);
  return made;
}

async function readInstallId(file: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const value = text.trim();
  // Never replaced silently: a new install ID is a new device, and the profile's keys are the old one's.
  if (!/^[0-9a-f]{64}$/.test(value)) throw damagedInstallId(file);
  return value;
}

function damagedInstallId(file: string): AppError {
  return new AppError(
    'UNEXPECTED',
    `This profile's device ID file (${file}) is damaged, so Keyport cannot tell which device this is. ` +
      'Restore it from a backup; deleting it makes this a new device whose copies must be moved here again.',
  );
}

// ── the components ───────────────────────────────────────────────────────────
/** Each real component's HMAC; placeholders and unreadable ones are left out. */
export function componentsFrom(readings: HardwareReadings): DeviceComponents {
  const components: DeviceComponents = {};
  for (const name of COMPONENT_NAMES) {
    const value = readings[name];
    if (!isPlaceholder(value)) components[name] = componentHmac(name, value!);
  }
  return components;
}

/** What the readers found on this machine: its OS install ID (if any) and raw hardware values. */
export interface MachineReading {
  anchor: { source: OsInstallIdSource; value: string } | null;
  hardware: HardwareReadings;
}

export async function readMachine(readers: IdentityReaders): Promise<MachineReading> {
  const [anchor, hardware] = await Promise.all([
    readOsInstallId(readers),
    readers.hardware().catch((): HardwareReadings => ({})),
  ]);
  return { anchor, hardware };
}

/** The identity from a reading; `profileDir` holds the install ID generated where the OS has none. */
export async function identityFrom(reading: MachineReading, profileDir: string): Promise<DeviceIdentity> {
  const { anchor } = reading;
  const components = componentsFrom(reading.hardware);
  const source = anchor?.source ?? GENERATED_ID_SOURCE;
  const value = anchor?.value ?? (await profileInstallId(profileDir));
  return {
    deviceId: deviceIdFrom(`${source}=${value}`),
    idSource: anchor ? 'os' : 'generated',
    sources: [source, ...Object.keys(components)],
    components,
    simulatedAs: null,
  };
}

/** `--simulate-device NAME`: the ID and every component derived from the name. */
export function simulatedIdentity(name: string): DeviceIdentity {
  const components: DeviceComponents = {};
  for (const component of COMPONENT_NAMES) components[component] = simulatedComponent(name, component);
  return {
    deviceId: simulatedDeviceId(name),
    idSource: 'simulated',
    sources: ['simulated'],
    components,
    simulatedAs: name,
  };
}

// ── this machine ─────────────────────────────────────────────────────────────
type BlockDevice = Awaited<ReturnType<typeof si.blockDevices>>[number];
type DiskLayout = Awaited<ReturnType<typeof si.diskLayout>>[number];
export interface NetworkAdapter {
  iface: string;
  mac: string;
  internal: boolean;
}

/** The serial of the disk the system runs from (its root, or Windows' system drive). */
export function systemDiskSerial(
  blocks: BlockDevice[],
  disks: DiskLayout[],
  platform: NodeJS.Platform,
): string | undefined {
  const systemMount = platform === 'win32' ? (process.env.SystemDrive ?? 'C:') : '/';
  const root = blocks.find((block) => block.mount === systemMount);
  if (!root) return undefined;
  if (!isPlaceholder(root.serial)) return root.serial;
  // A partition: its disk is the longest disk name it starts with (sda1 → sda, nvme0n1p2 → nvme0n1).
  const disk = blocks
    .filter((block) => block.type === 'disk' && root.name.startsWith(block.name))
    .sort((a, b) => b.name.length - a.name.length)[0];
  if (!disk) return undefined;
  if (!isPlaceholder(disk.serial)) return disk.serial;
  return disks.find((layout) => layout.device === `/dev/${disk.name}`)?.serialNum;
}

/**
 * The MAC of the adapter that carries the default route, else of the first one with a
 * maker-assigned address (a locally administered one is a bridge, a container's or random).
 */
export function primaryMac(
  adapters: NetworkAdapter[],
  defaultInterface: string | undefined,
): string | undefined {
  const real = adapters.filter((each) => !each.internal && !isPlaceholder(each.mac));
  const makerAssigned = (mac: string) => (Number.parseInt(mac.slice(0, 2), 16) & 0b10) === 0;
  const chosen =
    real.find((each) => each.iface === defaultInterface) ??
    real.filter((each) => makerAssigned(each.mac)).sort((a, b) => a.iface.localeCompare(b.iface))[0];
  return chosen?.mac;
}

/** Node's own list (systeminformation's takes half a second, asking about speeds and duplex). */
function networkAdapters(): NetworkAdapter[] {
  return Object.entries(networkInterfaces()).flatMap(([iface, addresses]) =>
    (addresses ?? []).slice(0, 1).map(({ mac, internal }) => ({ iface, mac, internal })),
  );
}

async function readSystemHardware(): Promise<HardwareReadings> {
  const quietly = <T>(read: Promise<T>) => read.catch(() => undefined);
  const [system, baseboard, cpu, blocks, disks, defaultInterface] = await Promise.all([
    quietly(si.system()),
    quietly(si.baseboard()),
    quietly(si.cpu()),
    quietly(si.blockDevices()),
    quietly(si.diskLayout()),
    quietly(si.networkInterfaceDefault()),
  ]);
  return {
    'system.uuid': system?.uuid,
    'baseboard.serial': baseboard?.serial,
    'disk.serial': systemDiskSerial(blocks ?? [], disks ?? [], process.platform),
    'net.mac': primaryMac(networkAdapters(), defaultInterface),
    'cpu.model': cpu ? `${cpu.manufacturer} ${cpu.brand}`.trim() : undefined,
  };
}

export const SYSTEM_READERS: IdentityReaders = {
  platform: process.platform,
  readTextFile: (file) => readFile(file, 'utf8').catch(() => null),
  machineId: () => machineId.machineId(true),
  hostname,
  hardware: readSystemHardware,
};

/** This machine, read once per process: DMI tables and the registry are slow to read. */
let systemReading: Promise<MachineReading> | undefined;

/**
 * This device's identity: simulated from a name, or read from the machine (with the
 * `readers` given, else the real ones, read once per process).
 */
export async function readDeviceIdentity(options: {
  simulateDevice: string | null;
  profileDir: string;
  readers?: IdentityReaders;
}): Promise<DeviceIdentity> {
  if (options.simulateDevice !== null) return simulatedIdentity(options.simulateDevice);
  const reading = options.readers
    ? readMachine(options.readers)
    : (systemReading ??= readMachine(SYSTEM_READERS));
  return identityFrom(await reading, options.profileDir);
}
