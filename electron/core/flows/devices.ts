/** The devices flow: enrolling this device, and listing, renaming and retiring the account's. */
import type { AppApi, DeviceSummary } from '../../../shared/app-api/app-api.ts';
import type { CoreParts } from '../core-parts.ts';
import { describeStatus } from './account.ts';

type DevicesFlow = Pick<AppApi, 'enrolDevice' | 'listDevices' | 'renameDevice' | 'retireDevice'>;

export function devicesFlow(parts: CoreParts): DevicesFlow {
  const { provider, session, device, copies } = parts;

  async function listDevices(): Promise<DeviceSummary[]> {
    session.require();
    const [devices, registrations] = await Promise.all([device.listAccountDevices(), copies.registrations()]);
    return devices.map((each) => ({
      ...each,
      isThisDevice: each.deviceId === device.id,
      software: registrations.filter((r) => r.deviceId === each.deviceId).map((r) => r.softwareId),
    }));
  }

  /**
   * A change to one of the user's devices, then the list as it now is. This device's name
   * or enrolment may be what changed, so the status goes out too.
   */
  async function changeDevice(change: () => Promise<unknown>): Promise<DeviceSummary[]> {
    session.require();
    await session.authenticated(change);
    const devices = await listDevices();
    parts.announceStatus();
    return devices;
  }

  return {
    async enrolDevice({ name }) {
      await device.enrol(name);
      parts.announceStatus();
      return describeStatus(parts);
    },
    listDevices,
    renameDevice: ({ deviceId, name }) => changeDevice(() => provider.renameDevice(deviceId, name)),
    retireDevice: ({ deviceId }) => changeDevice(() => provider.retireDevice(deviceId)),
  };
}
