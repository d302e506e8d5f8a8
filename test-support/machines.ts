/**
 * Made-up machines for identity tests: a Linux machine's machine-id (or none) and its
 * hardware, as the core's injected identity readers see them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { HardwareReadings, IdentityReaders } from '../electron/core/device-identity.ts';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A random machine-id, as `systemd-machine-id-setup` would write one. */
export const newMachineId = () => hex(16);

/** Readers for a Linux machine with this machine-id (null: none) and this hardware. */
export function machine(machineId: string | null, hardware: HardwareReadings): IdentityReaders {
  return {
    platform: 'linux',
    readTextFile: async (file) => (file === '/etc/machine-id' ? machineId : null),
    machineId: async () => null,
    hostname: () => 'test-host',
    hardware: async () => hardware,
  };
}

/** Every component a machine can report, each value unique to this call. */
export function hardware(): Required<HardwareReadings> {
  return {
    'system.uuid': randomUUID(),
    'baseboard.serial': `BB${hex(4)}`,
    'disk.serial': `DISK${hex(4)}`,
    'net.mac': '3c:7c:3f:' + hex(3).match(/../g)!.join(':'),
    'cpu.model': `Test CPU ${hex(2)}`,
  };
}
