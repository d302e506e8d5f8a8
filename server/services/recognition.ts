/**
 * Recognising a changed machine (issue 13): when a device enrols, the provider looks
 * among the same user's other devices for one whose hardware components match under
 * its rule (`componentMatch`, lib/component-match.ts) — most likely this machine under
 * its old device ID, after a disk swap or a reinstall — and names it, with what a
 * recovery would move from it. Only the user's own devices are ever compared. A device
 * refused at the device limit can ask the same before enrolling, and enrol by recovering.
 */
import type { Kysely } from 'kysely';
import type { DeviceComponents, Recognition, RecogniseBody } from '../../shared/provider-api/schemas.ts';
import type { ProviderContext } from '../context.ts';
import type { Database } from '../db/schema.ts';
import { bestMatch, scoreComponents, type ComponentScore } from '../lib/component-match.ts';
import { readComponents } from '../lib/device-records.ts';
import { deviceToEnrol } from '../lib/ownership.ts';

/** The user's other device that the enrolled `deviceId` most likely is, or null. */
export async function recognise(
  ctx: ProviderContext,
  db: Kysely<Database>,
  userId: string,
  deviceId: string,
): Promise<Recognition | null> {
  const mine = (await readComponents(db, [deviceId])).get(deviceId)!;
  return recogniseComponents(ctx, db, userId, deviceId, mine);
}

/**
 * Before enrolling (POST /v1/devices/recognitions): the user's other device that
 * `deviceId`, reporting `components`, most likely is. Read-only; a device ID enrolled to
 * another user is refused (DEVICE_TAKEN, as its enrolment would be), never compared.
 */
export async function recogniseBeforeEnrolling(
  ctx: ProviderContext,
  userId: string,
  { deviceId, components }: RecogniseBody,
): Promise<Recognition | null> {
  const db = ctx.registry.db;
  await deviceToEnrol(db, userId, deviceId);
  return recogniseComponents(ctx, db, userId, deviceId, components);
}

/** The user's device other than `deviceId` whose components best match `mine`, or null. */
async function recogniseComponents(
  ctx: ProviderContext,
  db: Kysely<Database>,
  userId: string,
  deviceId: string,
  mine: DeviceComponents,
): Promise<Recognition | null> {
  if (ctx.settings.componentMatch === 'off') return null;
  if (Object.keys(mine).length === 0) return null;
  const others = await db
    .selectFrom('devices')
    .select(['device_id', 'name', 'enrolled_at'])
    .where('user_id', '=', userId)
    .where('device_id', '!=', deviceId)
    .execute();
  if (others.length === 0) return null;
  const components = await readComponents(
    db,
    others.map((d) => d.device_id),
  );
  const best = bestMatch(
    ctx.settings.componentMatch,
    others.map((other) => ({
      score: scoreComponents(mine, components.get(other.device_id)!),
      enrolledAt: other.enrolled_at,
      deviceId: other.device_id,
      item: other,
    })),
  );
  if (!best) return null;
  const software = await db
    .selectFrom('registrations')
    .select('software_id')
    .where('user_id', '=', userId)
    .where('device_id', '=', best.deviceId)
    .orderBy('software_id')
    .execute();
  return {
    deviceId: best.deviceId,
    name: best.item.name,
    matchedComponents: best.score.matched,
    comparedComponents: best.score.compared,
    software: software.map((row) => row.software_id),
  };
}

/** How two devices' components compare (both must be the caller's to ask about). */
export async function compareDevices(
  db: Kysely<Database>,
  deviceId: string,
  otherId: string,
): Promise<ComponentScore> {
  const components = await readComponents(db, [deviceId, otherId]);
  return scoreComponents(components.get(deviceId)!, components.get(otherId)!);
}
