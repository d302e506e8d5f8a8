/**
 * Clones (issue 13): a cloned OS image carries its device ID to a second machine, but
 * each app installation has its own random secret, so the provider can tell the
 * machines apart by the installation that enrols or refreshes.
 *
 * A device's current installation is the last one that enrolled or refreshed. A new
 * installation replacing it is a reinstall, not a clone: nothing else is evidence. An
 * installation seen on the device before coming back while another is current means
 * two installations alternate — on two machines sharing the ID, or on one machine with
 * two keychains (the user and root, two profiles). The hardware each installation last
 * reported tells these apart: a clone runs on another board, disk or network card (a
 * cloned VM gets a new system UUID and MAC), one machine reports the same values. So the
 * device is flagged (once, audit `device.cloned`) only when the two reports conflict,
 * and the earlier-seen of the two is taken for the original. Under
 * `clonePolicy: refuse` (the default) a flagged device's refreshes are then answered only
 * for that original installation (DEVICE_CLONED for the others); under `flag` they are
 * all answered and the device is only shown as flagged.
 */
import type { Transaction } from 'kysely';
import type { DeviceComponents } from '../../shared/provider-api/schemas.ts';
import type { ProviderContext } from '../context.ts';
import type { Database, DeviceRow } from '../db/schema.ts';
import { recordEvent } from '../lib/audit.ts';
import { scoreComponents } from '../lib/component-match.ts';
import {
  findInstallation,
  readInstallationComponents,
  replaceInstallationComponents,
  touchInstallation,
} from '../lib/device-records.ts';
import { problem, type ProblemError } from '../lib/problem.ts';

/**
 * Record that `installationId` enrolled or refreshed on `device`, reporting `components`
 * (if it did); the device as it now is.
 */
export async function noteInstallation(
  ctx: ProviderContext,
  trx: Transaction<Database>,
  device: DeviceRow,
  installationId: string,
  components: DeviceComponents | undefined,
): Promise<DeviceRow> {
  const [deviceId, at] = [device.device_id, ctx.now().toISOString()];
  const seen = await findInstallation(trx, deviceId, installationId);
  await touchInstallation(trx, deviceId, installationId, at, seen !== undefined);
  if (components) await replaceInstallationComponents(trx, deviceId, installationId, components);
  const previous = device.installation_id;
  if (previous === installationId) return device;

  let changes: Partial<DeviceRow> = { installation_id: installationId };
  if (seen && previous !== null && device.flagged_at === null) {
    const returningHardware = await readInstallationComponents(trx, deviceId, installationId);
    const currentHardware = await readInstallationComponents(trx, deviceId, previous);
    if (onDifferentHardware(returningHardware, currentHardware)) {
      const current = await findInstallation(trx, deviceId, previous);
      // The pair's earlier-seen one is the original; the other came later (the clone). On a
      // tie the one coming back is: a clone shows up, and then the original returns.
      const original = current && current.first_seen_at < seen.first_seen_at ? previous : installationId;
      changes = { ...changes, ...(await flagClone(ctx, trx, device, [previous, installationId], original)) };
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
 * Whether two installations' last reports put them on different machines: a component
 * both reported differs. One that reports more (root reads the system UUID and board
 * serial, a user cannot) is not different. If either reported no components (or none in
 * common), nothing says they share a machine, so the alternation counts as a clone, as
 * it did before components were compared.
 */
function onDifferentHardware(a: DeviceComponents, b: DeviceComponents): boolean {
  const { matched, compared } = scoreComponents(a, b);
  return compared === 0 || matched < compared;
}

/** Flag `device` as in use on two machines and audit it; the changed fields, if this call flagged it. */
async function flagClone(
  ctx: ProviderContext,
  trx: Transaction<Database>,
  device: DeviceRow,
  installationIds: [string, string],
  original: string,
): Promise<Partial<DeviceRow>> {
  const now = ctx.now();
  const at = now.toISOString();
  // Conditional on not yet flagged, so two racing refreshes write one event.
  const flagged = await trx
    .updateTable('devices')
    .set({ flagged_at: at, original_installation_id: original })
    .where('device_id', '=', device.device_id)
    .where('flagged_at', 'is', null)
    .executeTakeFirst();
  if (Number(flagged.numUpdatedRows) !== 1) return {};
  await recordEvent(
    trx,
    {
      type: 'device.cloned',
      user_id: device.user_id,
      device_id: device.device_id,
      data: { installationIds, originalInstallationId: original },
    },
    now,
  );
  return { flagged_at: at, original_installation_id: original };
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
