/**
 * Recovering a changed machine (issue 13): every copy registered to the user's old
 * device ID moves to the new one, in one transaction, and the old device is retired.
 * Only between devices the provider's rule takes for one machine (`componentMatch`);
 * any other pair goes through transfers, one copy at a time, as before.
 *
 * Each copy moves exactly as a transfer moves it (`moveRegistration`: the old device's
 * licenses are revoked, a transfer row and an event are written), so a copy is
 * registered to exactly one device at every moment (DESIGN §6). A recovery happens once
 * per enrolment of the old device: asked again — a retry, or any number of concurrent
 * requests — it answers the recovery that happened (200) instead of moving anything.
 *
 * A machine at the account's device limit cannot enrol under its new ID, so a recovery
 * may enrol it too (`enrol`): the old device is retired in the same step, so the count
 * of devices stays where it was.
 */
import type { Kysely, Transaction } from 'kysely';
import type { RecoverBody, RecoverEnrolment, Recovery } from '../../shared/provider-api/schemas.ts';
import type { ProviderContext } from '../context.ts';
import type { Database, RecoveryRow } from '../db/schema.ts';
import { recordEvent } from '../lib/audit.ts';
import { componentsMatch } from '../lib/component-match.ts';
import { runIdempotent, type IdempotentResult } from '../lib/idempotency.ts';
import { toRecovery } from '../lib/mappers.ts';
import { deviceToEnrol, findOwnDevice } from '../lib/ownership.ts';
import { problem } from '../lib/problem.ts';
import { newId } from '../lib/secrets.ts';
import { addDevice, retireOwnDevice } from './devices.ts';
import { compareDevices } from './recognition.ts';
import { moveRegistration } from './transfers.ts';

/** A recovery into `toDeviceId` in its own transaction, replayed for a repeated Idempotency-Key. */
export function recover(
  ctx: ProviderContext,
  userId: string,
  toDeviceId: string,
  body: RecoverBody,
  idempotencyKey: string | undefined,
): Promise<IdempotentResult<{ recovery: Recovery }>> {
  // Refused before the key is looked at, so this answer never depends on the key.
  if (body.fromDeviceId === toDeviceId) {
    throw problem('SAME_DEVICE', 'choose the old device to recover from, not this one');
  }
  const scope = { userId, name: 'recover', key: idempotencyKey, request: { toDeviceId, ...body } };
  return runIdempotent(ctx, scope, (trx) =>
    recoverInto(ctx, trx, userId, toDeviceId, body.fromDeviceId, body.enrol),
  );
}

/** The rules of one recovery, inside `trx`: 201 with the new recovery, or 200 with the earlier one. */
export async function recoverInto(
  ctx: ProviderContext,
  trx: Transaction<Database>,
  userId: string,
  toDeviceId: string,
  fromDeviceId: string,
  enrol?: RecoverEnrolment,
): Promise<{ status: 200 | 201; body: { recovery: Recovery } }> {
  const from = await findOwnDevice(trx, userId, fromDeviceId);
  if (!from) {
    // Gone: retired by the recovery being asked for again, or never the user's. Only the
    // user's own recoveries are looked at, so another user's device stays unknown.
    const earlier = await latestRecoveryFrom(trx, userId, fromDeviceId);
    if (earlier?.to_device_id === toDeviceId) return { status: 200, body: { recovery: toRecovery(earlier) } };
    throw problem('DEVICE_NOT_ENROLLED', 'the device to recover from is not enrolled to your account');
  }
  if (!(await findOwnDevice(trx, userId, toDeviceId))) {
    if (!enrol) {
      throw problem('DEVICE_NOT_ENROLLED', 'enrol this device to your account first, then recover into it');
    }
    await deviceToEnrol(trx, userId, toDeviceId); // another user's: DEVICE_TAKEN
    // Enrolled here without the device-limit check: the old device is retired below in
    // this same transaction, so the account's device count never grows. When the two do
    // not match, NOT_RECOGNISED below rolls this enrolment back with everything else.
    await addDevice(ctx, trx, userId, { deviceId: toDeviceId, ...enrol }, 'device.enrolled');
  }
  const score = await compareDevices(trx, toDeviceId, fromDeviceId);
  if (!componentsMatch(ctx.settings.componentMatch, score)) {
    throw problem(
      'NOT_RECOGNISED',
      `this device does not look like "${from.name}" after a hardware change (${score.matched} of ${score.compared} compared components match); move its programs with transfers instead`,
    );
  }

  const recoveryId = newId('rcv');
  const registrations = await trx
    .selectFrom('registrations')
    .selectAll()
    .where('user_id', '=', userId)
    .where('device_id', '=', fromDeviceId)
    .orderBy('software_id')
    .execute();
  for (const copy of registrations) await moveRegistration(ctx, trx, copy, toDeviceId, { recoveryId });
  const copies = registrations.map((r) => ({ copyId: r.copy_id, softwareId: r.software_id }));
  const now = ctx.now();
  await recordEvent(
    trx,
    {
      type: 'device.recovered',
      user_id: userId,
      device_id: toDeviceId,
      data: {
        recoveryId,
        fromDeviceId,
        toDeviceId,
        copies,
        matchedComponents: score.matched,
        comparedComponents: score.compared,
      },
    },
    now,
  );
  await retireOwnDevice(ctx, trx, userId, fromDeviceId, { recoveryId, recoveredInto: toDeviceId });
  const recovery: RecoveryRow = {
    recovery_id: recoveryId,
    user_id: userId,
    from_device_id: fromDeviceId,
    from_enrolled_at: from.enrolled_at,
    to_device_id: toDeviceId,
    copies: JSON.stringify(copies),
    created_at: now.toISOString(),
  };
  await trx.insertInto('recoveries').values(recovery).execute();
  return { status: 201, body: { recovery: toRecovery(recovery) } };
}

function latestRecoveryFrom(
  db: Kysely<Database>,
  userId: string,
  fromDeviceId: string,
): Promise<RecoveryRow | undefined> {
  return db
    .selectFrom('recoveries')
    .selectAll()
    .where('user_id', '=', userId)
    .where('from_device_id', '=', fromDeviceId)
    .orderBy('created_at', 'desc')
    .orderBy('recovery_id', 'desc')
    .executeTakeFirst();
}
