import { describe, expect, it } from 'vitest';
import { simulatedDeviceId } from '../../shared/license/device-id.ts';
import {
  identityFromIdentifiers,
  isPlaceholder,
  readDeviceIdentity,
  readHardwareIdentifiers,
} from './device-identity.ts';

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
      'System Serial Number',
      undefined,
    ]) {
      expect(isPlaceholder(value), String(value)).toBe(true);
    }
    expect(isPlaceholder('4C4C4544-0052-3510-8052-B4C04F4E4E32')).toBe(false);
    expect(isPlaceholder('PF2ABCDE')).toBe(false);
  });

  it('hashes only the real identifiers, in a canonical order, and records which sources went in', () => {
    const a = identityFromIdentifiers({
      'system.uuid': '4C4C4544-0052-3510-8052-B4C04F4E4E32',
      'system.serial': 'To Be Filled By O.E.M.',
      'os.machine-id': '3d1219c7c4c5404aaa1f6d2a48adfda4',
    });
    const sameInOtherOrder = identityFromIdentifiers({
      'os.machine-id': '3d1219c7c4c5404aaa1f6d2a48adfda4',
      'system.uuid': '4c4c4544-0052-3510-8052-b4c04f4e4e32 ',
      'bios.serial': 'Default string',
    });
    expect(a.deviceId).toMatch(/^[0-9a-f]{64}$/);
    expect(sameInOtherOrder.deviceId).toBe(a.deviceId);
    expect(a.sources).toEqual(['os.machine-id', 'system.uuid']);
    // The raw serials never appear in what leaves the module.
    expect(JSON.stringify(a)).not.toMatch(/4c4c4544|3d1219c7/i);

    const otherMachine = identityFromIdentifiers({
      'system.uuid': '4C4C4544-0052-3510-8052-B4C04F4E4E33',
      'os.machine-id': '3d1219c7c4c5404aaa1f6d2a48adfda4',
    });
    expect(otherMachine.deviceId).not.toBe(a.deviceId);
  });

  it('refuses a machine with no usable identifier, suggesting --simulate-device', () => {
    expect(() => identityFromIdentifiers({ 'system.serial': '-', 'bios.serial': '' })).toThrow(
      /--simulate-device/,
    );
  });

  it('reads this machine once per process and gets the same ID each time', async () => {
    const identifiers = await readHardwareIdentifiers();
    expect(Object.keys(identifiers)).toContain('os.machine-id');
    const first = await readDeviceIdentity(null);
    const second = await readDeviceIdentity(null);
    expect(second).toBe(first); // cached, not re-read
    expect(first.deviceId).toMatch(/^[0-9a-f]{64}$/);
    expect(first.sources.length).toBeGreaterThan(0);
    expect(first.simulatedAs).toBeNull();
  });

  it('derives distinct simulated devices from names', async () => {
    const a = await readDeviceIdentity('laptop-a');
    const b = await readDeviceIdentity('laptop-b');
    expect(a.deviceId).toBe(simulatedDeviceId('laptop-a'));
    expect(b.deviceId).not.toBe(a.deviceId);
    expect(a.simulatedAs).toBe('laptop-a');
    expect(a.deviceId).not.toBe((await readDeviceIdentity(null)).deviceId);
  });
});
