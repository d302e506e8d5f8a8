/**
 * Clones (issue 13): a cloned OS image carries its device ID to a second machine, but
 * each app installation has its own random secret, so the provider can tell the
 * machines apart by the installation that enrols or refreshes.
 *
 * A device's current installation is the last one that enrolled or refreshed. A new
 * installation replacing it is a reinstall, not a clone: nothing else is evidence. An
 * installation seen on the device before coming back while another is current means
 * two installations alternate: two machines share the ID. The device is flagged once
 * (audit `device.cloned`), and the earlier-seen of the two is taken for the original.
 * Under `clonePolicy: refuse` (the default) a flagged device's refreshes are then
 * answered only for that original installation (DEVICE_CLONED for the others); under
 * `flag` they are all answered and the device is only shown as flagged.
 */
import type { Transaction } from 'kysely';
import type { ProviderContext } from '../context.ts';
import type { Database, DeviceRow } from '../db/schema.ts';
import { recordEvent } from '../lib/audit.ts';
import { findInstallation, touchInstallation } from '../lib/device-records.ts';
import { problem, type ProblemError } from '../lib/problem.ts';

/** Record that `installationId` enrolled or refreshed on `device`; the device as it now is. */
export async function noteInstallation(
  ctx: ProviderContext,
  trx: Transaction<Database>,
  device: DeviceRow,
  installationId: string,
): Promise<DeviceRow> {
  const now = ctx.now();
  const at = now.toISOString();
  const deviceId = device.device_id;
  const seen = await findInstallation(trx, deviceId, installationId);
  await touchInstallation(trx, deviceId, installationId, at, seen !== undefined);
  const previous = device.installation_id;
  if (previous === installationId) return device;

  const changes: Partial<DeviceRow> = { installation_id: installationId };
  if (seen && previous !== null && device.flagged_at === null) {
    const current = await findInstallation(trx, deviceId, previous);
    // The pair's earlier-seen one is the original; the other came later (the clone). On a
    // tie the one coming back is: a clone shows up, and then the original returns.
    const original = current && current.first_seen_at < seen.first_seen_at ? previous : installationId;
    // Conditional on not yet flagged, so two racing refreshes write one event.
    const flagged = await trx
      .updateTable('devices')
      .set({ flagged_at: at, original_installation_id: original })
      .where('device_id', '=', deviceId)
      .where('flagged_at', 'is', null)
      .executeTakeFirst();
    if (Number(flagged.numUpdatedRows) === 1) {
      Object.assign(changes, { flagged_at: at, original_installation_id: original });
      await recordEvent(
        trx,
        {
          type: 'device.cloned',
          user_id: device.user_id,
          device_id: deviceId,
          data: {
            installationIds: [previous, installationId],
            originalInstallationId: original,
          },
        },
        now,
      );
    }
  }
  await trx
    .updateTable('devices')
    .set({ installation_id: installationId })
    .where('device_id', '=', deviceId)
    .execute();
  return { ...device, ...changes };
}

/**
 * Why a refresh from `installationId` on `device` is refused as a clone's, if it is: a
 * flagged device, under `refuse`, answers its original installation only — and not a
 * refresh that does not say which installation it is.
 */
export function cloneRefusal(
  ctx: ProviderContext,
  device: DeviceRow,
  installationId: string | undefined,
): ProblemError | undefined {
  if (device.flagged_at === null || ctx.settings.clonePolicy === 'flag') return undefined;
  if (installationId !== undefined && installationId === device.original_installation_id) return undefined;
  return problem(
    'DEVICE_CLONED',
    'this device ID is in use on two machines, and only the installation that was here first may renew its licenses; on this machine, enrol it as a device of its own (a new OS install ID) and move programs to it',
  );
}
