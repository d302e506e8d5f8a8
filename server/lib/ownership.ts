/**
 * Ownership checks every route leans on (invariant 7): a device, a registration or a
 * copy is only ever looked up together with the signed-in user's ID, so another
 * user's rows are indistinguishable from rows that do not exist.
 */
import type { Kysely } from 'kysely';
import type { Database, DeviceRow, RegistrationRow } from '../db/schema.ts';
import { problem } from './problem.ts';

export function findOwnDevice(
  db: Kysely<Database>,
  userId: string,
  deviceId: string,
): Promise<DeviceRow | undefined> {
  return db
    .selectFrom('devices')
    .selectAll()
    .where('device_id', '=', deviceId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/**
 * `deviceId`'s row when it is the user's, undefined when it is no one's yet; refused
 * (DEVICE_TAKEN) when it is another user's, whose device is never shown.
 */
export async function deviceToEnrol(
  db: Kysely<Database>,
  userId: string,
  deviceId: string,
): Promise<DeviceRow | undefined> {
  const existing = await db
    .selectFrom('devices')
    .selectAll()
    .where('device_id', '=', deviceId)
    .executeTakeFirst();
  if (existing && existing.user_id !== userId) {
    throw problem(
      'DEVICE_TAKEN',
      'this device is enrolled to another account; that account must remove it first',
    );
  }
  return existing;
}

export function findRegistration(
  db: Kysely<Database>,
  triple: { userId: string; softwareId: string; deviceId: string },
): Promise<RegistrationRow | undefined> {
  return db
    .selectFrom('registrations')
    .selectAll()
    .where('user_id', '=', triple.userId)
    .where('software_id', '=', triple.softwareId)
    .where('device_id', '=', triple.deviceId)
    .executeTakeFirst();
}

export function findCopy(
  db: Kysely<Database>,
  userId: string,
  softwareId: string,
): Promise<RegistrationRow | undefined> {
  return db
    .selectFrom('registrations')
    .selectAll()
    .where('user_id', '=', userId)
    .where('software_id', '=', softwareId)
    .executeTakeFirst();
}
