/**
 * Devices (Fig. 6, S1–S3): a device ID is enrolled to one user at a time, up to the
 * device limit; enrolling again is a no-op for the same user. A device is retired only
 * once nothing is registered to it, so no copy is ever left on a device that is gone.
 */
import type { Kysely } from 'kysely';
import type { EnrolDeviceBody } from '../../shared/provider-api/schemas.ts';
import type { ProviderContext } from '../context.ts';
import { inTransaction } from '../db/database.ts';
import type { Database, DeviceRow } from '../db/schema.ts';
import { recordEvent } from '../lib/audit.ts';
import { problem } from '../lib/problem.ts';

/** Enrols `deviceId` to the user: `created` says whether it is new (201) or was theirs (200). */
export function enrolDevice(
  ctx: ProviderContext,
  userId: string,
  body: EnrolDeviceBody,
): Promise<{ status: 200 | 201; device: DeviceRow }> {
  const { deviceId, name, platform } = body;
  return inTransaction(ctx.registry, async (trx) => {
    const existing = await trx
      .selectFrom('devices')
      .selectAll()
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
    if (existing) {
      if (existing.user_id !== userId) {
        throw problem(
          'DEVICE_TAKEN',
          'this device is enrolled to another account; that account must remove it first',
        );
      }
      return { status: 200 as const, device: existing };
    }
    const { count } = await trx
      .selectFrom('devices')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    if (Number(count) >= ctx.settings.deviceLimit) {
      throw problem(
        'DEVICE_LIMIT',
        `your account already has ${ctx.settings.deviceLimit} devices, the most allowed; remove one you no longer use, then enrol this one`,
      );
    }
    const now = ctx.now();
    const device = {
      device_id: deviceId,
      user_id: userId,
      name,
      platform,
      enrolled_at: now.toISOString(),
    };
    await trx.insertInto('devices').values(device).execute();
    await recordEvent(
      trx,
      { type: 'device.enrolled', user_id: userId, device_id: deviceId, data: { name, platform } },
      now,
    );
    return { status: 201 as const, device };
  });
}

export function listDevices(db: Kysely<Database>, userId: string): Promise<DeviceRow[]> {
  return db
    .selectFrom('devices')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('enrolled_at')
    .orderBy('device_id')
    .execute();
}

export async function renameDevice(
  ctx: ProviderContext,
  userId: string,
  deviceId: string,
  name: string,
): Promise<DeviceRow> {
  const device = await ctx.registry.db
    .updateTable('devices')
    .set({ name })
    .where('device_id', '=', deviceId)
    .where('user_id', '=', userId)
    .returningAll()
    .executeTakeFirst();
  if (!device) throw problem('NOT_FOUND', 'you have no device with that ID');
  return device;
}

/** Retires one of the user's devices; refused while software is registered to it. */
export function retireDevice(ctx: ProviderContext, userId: string, deviceId: string): Promise<void> {
  return inTransaction(ctx.registry, async (trx) => {
    const device = await trx
      .selectFrom('devices')
      .select('device_id')
      .where('device_id', '=', deviceId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!device) throw problem('NOT_FOUND', 'you have no device with that ID');
    const registered = await trx
      .selectFrom('registrations')
      .select('software_id')
      .where('device_id', '=', deviceId)
      .execute();
    if (registered.length > 0) {
      throw problem(
        'DEVICE_HAS_SOFTWARE',
        `move ${registered.map((r) => r.software_id).join(', ')} to another device first, then remove this one`,
      );
    }
    await trx.deleteFrom('devices').where('device_id', '=', deviceId).execute();
    await recordEvent(trx, { type: 'device.retired', user_id: userId, device_id: deviceId }, ctx.now());
  });
}
