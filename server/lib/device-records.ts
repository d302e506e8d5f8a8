/**
 * What the provider keeps about a device besides its row: the hardware components it
 * reported and the app installations seen on it (with the components each reported).
 * Plain queries over the caller's transaction; the rules that use them live in services/.
 */
import type { Kysely } from 'kysely';
import { COMPONENT_NAMES, type DeviceComponents } from '../../shared/provider-api/schemas.ts';
import type { Database } from '../db/schema.ts';

const KNOWN_NAMES: ReadonlySet<string> = new Set(COMPONENT_NAMES);

/** The components of each device asked for (a device that reported none maps to `{}`). */
export async function readComponents(
  db: Kysely<Database>,
  deviceIds: string[],
): Promise<Map<string, DeviceComponents>> {
  const byDevice = new Map<string, DeviceComponents>(deviceIds.map((id) => [id, {}]));
  if (deviceIds.length === 0) return byDevice;
  const rows = await db
    .selectFrom('device_components')
    .select(['device_id', 'name', 'hmac'])
    .where('device_id', 'in', deviceIds)
    .execute();
  for (const row of rows) addComponent(byDevice.get(row.device_id)!, row);
  return byDevice;
}

/** A stored component into `components`; names the contract no longer lists are ignored, not compared. */
function addComponent(components: DeviceComponents, row: { name: string; hmac: string }): void {
  if (KNOWN_NAMES.has(row.name)) components[row.name as keyof DeviceComponents] = row.hmac;
}

/** The components reported, as `{name, hmac}` rows (names without a value left out). */
function componentRows(components: DeviceComponents): Array<{ name: string; hmac: string }> {
  return Object.entries(components)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, hmac]) => ({ name, hmac }));
}

/** What the device reports now replaces what it reported before (an empty report clears it). */
export async function replaceComponents(
  db: Kysely<Database>,
  deviceId: string,
  components: DeviceComponents,
): Promise<void> {
  await db.deleteFrom('device_components').where('device_id', '=', deviceId).execute();
  const rows = componentRows(components).map((row) => ({ device_id: deviceId, ...row }));
  if (rows.length > 0) await db.insertInto('device_components').values(rows).execute();
}

export function findInstallation(db: Kysely<Database>, deviceId: string, installationId: string) {
  return db
    .selectFrom('device_installations')
    .selectAll()
    .where('device_id', '=', deviceId)
    .where('installation_id', '=', installationId)
    .executeTakeFirst();
}

/** Note that `installationId` was seen on the device at `at` (first time or again). */
export async function touchInstallation(
  db: Kysely<Database>,
  deviceId: string,
  installationId: string,
  at: string,
  seenBefore: boolean,
): Promise<void> {
  if (seenBefore) {
    await db
      .updateTable('device_installations')
      .set({ last_seen_at: at })
      .where('device_id', '=', deviceId)
      .where('installation_id', '=', installationId)
      .execute();
  } else {
    await db
      .insertInto('device_installations')
      .values({ device_id: deviceId, installation_id: installationId, first_seen_at: at, last_seen_at: at })
      .execute();
  }
}

/** The components an installation last reported (`{}`: none). */
export async function readInstallationComponents(
  db: Kysely<Database>,
  deviceId: string,
  installationId: string,
): Promise<DeviceComponents> {
  const rows = await db
    .selectFrom('installation_components')
    .select(['name', 'hmac'])
    .where('device_id', '=', deviceId)
    .where('installation_id', '=', installationId)
    .execute();
  const components: DeviceComponents = {};
  for (const row of rows) addComponent(components, row);
  return components;
}

/** What an installation reports now replaces what it reported before. */
export async function replaceInstallationComponents(
  db: Kysely<Database>,
  deviceId: string,
  installationId: string,
  components: DeviceComponents,
): Promise<void> {
  await db
    .deleteFrom('installation_components')
    .where('device_id', '=', deviceId)
    .where('installation_id', '=', installationId)
    .execute();
  const rows = componentRows(components).map((row) => ({
    device_id: deviceId,
    installation_id: installationId,
    ...row,
  }));
  if (rows.length > 0) await db.insertInto('installation_components').values(rows).execute();
}

/** Delete a device and everything kept about it (its registrations must be gone already). */
export async function deleteDevice(db: Kysely<Database>, deviceId: string): Promise<void> {
  await db.deleteFrom('device_components').where('device_id', '=', deviceId).execute();
  await db.deleteFrom('installation_components').where('device_id', '=', deviceId).execute();
  await db.deleteFrom('device_installations').where('device_id', '=', deviceId).execute();
  await db.deleteFrom('devices').where('device_id', '=', deviceId).execute();
}
