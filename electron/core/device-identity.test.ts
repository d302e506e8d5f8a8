/**
 * The device identity with injected readers: a user and root, a container without a
 * machine-id, macOS where node-machine-id fell back to the host name, a changed disk.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simulatedDeviceId } from '../../shared/license/device-id.ts';
import {
  identityFrom,
  INSTALL_ID_FILE,
  isPlaceholder,
  primaryMac,
  profileInstallId,
  readDeviceIdentity,
  readMachine,
  systemDiskSerial,
  type HardwareReadings,
  type IdentityReaders,
} from './device-identity.ts';

const MACHINE_ID = '3d1219c7c4c5404aaa1f6d2a48adfda4';
const ROOT_ONLY: HardwareReadings = {
  'system.uuid': '4C4C4544-0052-3510-8052-B4C04F4E4E32',
  'baseboard.serial': 'PF2ABCDE',
  'disk.serial': 'S4EWNX0R123456',
};
const ANY_USER: HardwareReadings = { 'net.mac': '3c:7c:3f:1a:2b:3c', 'cpu.model': 'AMD Ryzen 7 5800X' };

/** A Linux machine: the machine-id files, and the hardware this user may read. */
function linux(files: Record<string, string>, hardware: HardwareReadings): IdentityReaders {
  return {
    platform: 'linux',
    readTextFile: async (file) => files[file] ?? null,
    machineId: async () => {
      throw new Error('node-machine-id is not used on Linux');
    },
    hostname: () => 'desk',
    hardware: async () => hardware,
  };
}

let profileDir: string;
beforeEach(async () => {
  profileDir = await mkdtemp(path.join(tmpdir(), 'keyport-identity-'));
});
afterEach(() => rm(profileDir, { recursive: true, force: true }));

const identity = async (readers: IdentityReaders, dir = profileDir) =>
  identityFrom(await readMachine(readers), dir);

describe('device identity', () => {
  it('drops the placeholder values firmware ships unfilled', () => {
    for (const value of [
      '',
      ' - ',
      'Default string',
      'To Be Filled By O.E.M.',
      '0123456789',
      'None',
      '00000000-0000-0000-0000-000000000000',
      'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
      '00:00:00:00:00:00',
      'System Serial Number',
      undefined,
    ]) {
      expect(isPlaceholder(value), String(value)).toBe(true);
    }
    expect(isPlaceholder('4C4C4544-0052-3510-8052-B4C04F4E4E32')).toBe(false);
    expect(isPlaceholder('PF2ABCDE')).toBe(false);
  });

  it('is one device ID for a user and for root, though only root reads the DMI serials', async () => {
    const files = { '/etc/machine-id': `${MACHINE_ID}\n` };
    const asUser = await identity(linux(files, { ...ANY_USER, 'system.uuid': '', 'baseboard.serial': '' }));
    const asRoot = await identity(linux(files, { ...ANY_USER, ...ROOT_ONLY }));
    expect(asUser.deviceId).toMatch(/^[0-9a-f]{64}$/);
    expect(asRoot.deviceId).toBe(asUser.deviceId);
    expect(asUser.idSource).toBe('os');
    // The sources are the true ones: the anchor, then what each could read.
    expect(asUser.sources).toEqual(['os.machine-id', 'net.mac', 'cpu.model']);
    expect(asRoot.sources).toEqual([
      'os.machine-id',
      'system.uuid',
      'baseboard.serial',
      'disk.serial',
      'net.mac',
      'cpu.model',
    ]);
    // Each component is hashed on its own: the ones both read are equal.
    expect(asRoot.components['net.mac']).toBe(asUser.components['net.mac']);
    expect(asRoot.components['cpu.model']).toMatch(/^[0-9a-f]{64}$/);
    // Nothing raw leaves.
    expect(JSON.stringify(asRoot)).not.toMatch(/3d1219c7|4c4c4544|PF2ABCDE|S4EWNX0R|3c:7c:3f|ryzen/i);
  });

  it('keeps the device ID when a component changes (a new disk), and only that component differs', async () => {
    const files = { '/etc/machine-id': MACHINE_ID };
    const before = await identity(linux(files, { ...ANY_USER, ...ROOT_ONLY }));
    const after = await identity(linux(files, { ...ANY_USER, ...ROOT_ONLY, 'disk.serial': 'NEWDISK9' }));
    expect(after.deviceId).toBe(before.deviceId);
    const differing = Object.keys(before.components).filter(
      (name) =>
        before.components[name as keyof typeof before.components] !==
        after.components[name as keyof typeof after.components],
    );
    expect(differing).toEqual(['disk.serial']);
  });

  it("reads dbus's machine-id where /etc has none, and refuses unset ones", async () => {
    const fromDbus = await identity(linux({ '/var/lib/dbus/machine-id': MACHINE_ID }, ANY_USER));
    const fromEtc = await identity(linux({ '/etc/machine-id': MACHINE_ID }, ANY_USER));
    expect(fromDbus.deviceId).toBe(fromEtc.deviceId);
    for (const unset of ['uninitialized\n', '0'.repeat(32), '', 'desk', 'not-hex-'.repeat(4)]) {
      const id = await identity(linux({ '/etc/machine-id': unset }, ANY_USER));
      expect(id.idSource, JSON.stringify(unset)).toBe('generated');
    }
  });

  it('generates an install ID where the OS has none: kept in the profile, flagged, the same on reopen', async () => {
    const container = linux({}, ANY_USER);
    const first = await identity(container);
    expect(first.idSource).toBe('generated');
    expect(first.sources[0]).toBe('profile.install-id');
    const file = path.join(profileDir, INSTALL_ID_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect((await identity(container)).deviceId).toBe(first.deviceId);

    // Another profile on the same machine is another generated device.
    const other = await mkdtemp(path.join(tmpdir(), 'keyport-identity-other-'));
    try {
      expect((await identity(container, other)).deviceId).not.toBe(first.deviceId);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('makes one install ID when two processes ask at once', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => profileInstallId(profileDir)));
    expect(new Set(ids).size).toBe(1);
  });

  it('refuses a damaged install ID rather than making this a new device', async () => {
    await writeFile(path.join(profileDir, INSTALL_ID_FILE), 'garbage');
    await expect(identity(linux({}, ANY_USER))).rejects.toMatchObject({
      message: expect.stringMatching(/device ID file .* is damaged/),
    });
    expect(await readFile(path.join(profileDir, INSTALL_ID_FILE), 'utf8')).toBe('garbage');
  });

  it("refuses node-machine-id's host name fallback, and names the OS's own sources", async () => {
    const mac = (reported: string): IdentityReaders => ({
      ...linux({}, ANY_USER),
      platform: 'darwin',
      machineId: async () => reported,
      hostname: () => 'Adas-MacBook',
    });
    const fellBack = await identity(mac('adas-macbook'));
    expect(fellBack.idSource).toBe('generated');
    const real = await identity(mac('7E1B2C3D-4A5B-6C7D-8E9F-0A1B2C3D4E5F'));
    expect(real).toMatchObject({ idSource: 'os', sources: ['os.platform-uuid', 'net.mac', 'cpu.model'] });

    const windows: IdentityReaders = {
      ...mac('2f1e7c3a-0b4d-4e5f-8a6b-7c8d9e0f1a2b'),
      platform: 'win32',
    };
    expect((await identity(windows)).sources[0]).toBe('os.machine-guid');
  });

  it('derives simulated devices from names: distinct IDs, and no component in common', async () => {
    const a = await readDeviceIdentity({ simulateDevice: 'laptop-a', profileDir });
    const b = await readDeviceIdentity({ simulateDevice: 'laptop-b', profileDir });
    expect(a.deviceId).toBe(simulatedDeviceId('laptop-a'));
    expect(a).toMatchObject({ idSource: 'simulated', sources: ['simulated'], simulatedAs: 'laptop-a' });
    expect(b.deviceId).not.toBe(a.deviceId);
    const shared = Object.values(a.components).filter((value) => Object.values(b.components).includes(value));
    expect(shared).toEqual([]);
  });

  it('reads this machine once per process and gets the same ID each time', async () => {
    const first = await readDeviceIdentity({ simulateDevice: null, profileDir });
    const second = await readDeviceIdentity({ simulateDevice: null, profileDir });
    expect(second.deviceId).toBe(first.deviceId);
    expect(first.deviceId).toMatch(/^[0-9a-f]{64}$/);
    expect(first.sources[0]).toMatch(
      /^(os\.machine-id|os\.machine-guid|os\.platform-uuid|profile\.install-id)$/,
    );
    expect(first.simulatedAs).toBeNull();
  });
});

describe('the components this machine offers', () => {
  const block = (name: string, type: string, mount: string, serial = '') =>
    ({ name, type, mount, serial }) as Parameters<typeof systemDiskSerial>[0][number];

  it('takes the serial of the disk the root partition is on', () => {
    const blocks = [
      block('sda', 'disk', '', 'DATA1'),
      block('nvme0n1', 'disk', '', 'SYSTEM1'),
      block('nvme0n1p2', 'part', '/'),
      block('sda1', 'part', '/data'),
    ];
    expect(systemDiskSerial(blocks, [], 'linux')).toBe('SYSTEM1');
    expect(systemDiskSerial([block('vda', 'disk', '/')], [], 'linux')).toBeUndefined();
  });

  it('takes the MAC of the default route, else a maker-assigned one, never loopback', () => {
    const nic = (iface: string, mac: string, internal = false) => ({ iface, mac, internal });
    const adapters = [
      nic('lo', '00:00:00:00:00:00', true),
      nic('docker0', '02:42:ac:11:00:02'),
      nic('wlan0', '3c:7c:3f:1a:2b:3d'),
      nic('eth0', '3c:7c:3f:1a:2b:3c'),
    ];
    expect(primaryMac(adapters, 'wlan0')).toBe('3c:7c:3f:1a:2b:3d');
    expect(primaryMac(adapters, undefined)).toBe('3c:7c:3f:1a:2b:3c');
    // A cloud VM's adapter is locally administered, but it carries the default route.
    expect(primaryMac([nic('eth0', '02:fc:00:00:00:01')], 'eth0')).toBe('02:fc:00:00:00:01');
    expect(primaryMac([adapters[0]!], 'lo')).toBeUndefined();
  });
});
