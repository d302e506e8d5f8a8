/**
 * The devices flow: enrolling this device, listing, renaming and retiring the account's,
 * and recovering an older device's programs after a hardware change.
 */
import { randomUUID } from 'node:crypto';
import type { AppApi, DeviceSummary } from '../../../shared/app-api/app-api.ts';
import { shortDeviceId } from '../../../shared/license/license.ts';
import type { CoreParts } from '../core-parts.ts';
import { describeStatus } from './account.ts';

type DevicesFlow = Pick<
  AppApi,
  'enrolDevice' | 'listDevices' | 'renameDevice' | 'retireDevice' | 'recoverDevice'
>;

export function devicesFlow(parts: CoreParts, sync: AppApi['sync']): DevicesFlow {
  const { provider, session, device, copies, events } = parts;

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
      try {
        await device.enrol(name);
      } finally {
        // Refused at the device limit, the status still changed: what this device looks like.
        parts.announceStatus();
      }
      return describeStatus(parts);
    },
    listDevices,
    renameDevice: ({ deviceId, name }) => changeDevice(() => provider.renameDevice(deviceId, name)),
    retireDevice: ({ deviceId }) => changeDevice(() => provider.retireDevice(deviceId)),

    async recoverDevice({ fromDeviceId }) {
      session.require();
      // Named now: once recovered, the old device is retired and no longer in the list.
      // Listing also tells whether this device is enrolled yet.
      await device.listAccountDevices();
      const fromDeviceName =
        device.nameOf(fromDeviceId) ?? device.recognisedAs?.name ?? shortDeviceId(fromDeviceId);
      // Not enrolled (refused at the device limit): the recovery enrols this device in the
      // old one's place, in the same step that retires the old one.
      const enrol = device.enrolled ? undefined : device.enrolment();
      // One key per recovery intent, resent by retries: a lost answer never moves twice.
      const { recovery } = await session.authenticated(() =>
        provider.recoverDevice(device.id, { fromDeviceId, enrol }, randomUUID()),
      );
      if (enrol) await device.listAccountDevices();
      for (const copy of recovery.copies) await copies.arrive(copy);
      device.forgetRecognition();
      // The move is done whatever happens next; a sync that fails now runs again later.
      await sync().catch(() => undefined);
      events.emit('library-changed', { reason: `recovered ${fromDeviceName}` });
      parts.announceStatus();
      return { recovery, fromDeviceName };
    },
  };
}
