/**
 * Moving a copy (Fig. 15, S81–S83/S71–S73/S91–S97): in one transaction the source's
 * registration is deleted and the destination's made, the source's licenses revoked, the
 * transfer and an audit event recorded. No charge. With SQLite's single writer (or
 * PostgreSQL's SERIALIZABLE) and the delete conditioned on the source device, of any
 * number of concurrent moves of one copy exactly one finds it on its source.
 * `transfer` adds the Idempotency-Key. A recovery (services/recovery.ts) moves each copy
 * of a changed machine with the same `moveRegistration`.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { TransferBody } from '../../shared/provider-api/schemas.ts';
import type { ProviderContext } from '../context.ts';
import type { Database, RegistrationRow, TransfersTable } from '../db/schema.ts';
import { recordEvent } from '../lib/audit.ts';
import { runIdempotent } from '../lib/idempotency.ts';
import { toTransfer } from '../lib/mappers.ts';
import { findCopy, findOwnDevice } from '../lib/ownership.ts';
import { problem } from '../lib/problem.ts';
import { newId } from '../lib/secrets.ts';

function refuseSameDevice(body: Pick<TransferBody, 'sourceDeviceId' | 'destinationDeviceId'>): void {
  if (body.sourceDeviceId === body.destinationDeviceId) {
    throw problem('SAME_DEVICE', 'choose a destination other than the device the program is on');
  }
}

/** The rules of one move, inside `trx`: the transfer row. */
export async function moveCopy(
  ctx: ProviderContext,
  trx: Transaction<Database>,
  userId: string,
  { softwareId, sourceDeviceId, destinationDeviceId }: TransferBody,
): Promise<Selectable<TransfersTable>> {
  refuseSameDevice({ sourceDeviceId, destinationDeviceId });
  if (!(await findOwnDevice(trx, userId, sourceDeviceId))) {
    throw problem('DEVICE_NOT_ENROLLED', 'the source device is not enrolled to your account');
  }
  if (!(await findOwnDevice(trx, userId, destinationDeviceId))) {
    throw problem('DEVICE_NOT_ENROLLED', 'enrol the destination device to your account first');
  }
  const copy = await findCopy(trx, userId, softwareId);
  if (copy?.device_id === destinationDeviceId) {
    throw problem('ALREADY_REGISTERED', `${softwareId} is already registered to the destination device`);
  }
  if (!copy || copy.device_id !== sourceDeviceId) {
    throw problem('NOT_REGISTERED', `${softwareId} is not registered to the source device`);
  }
  return moveRegistration(ctx, trx, copy, destinationDeviceId);
}

/**
 * Moving one registered copy to another of its owner's devices, inside `trx`: the copy's
 * one row goes from its device to the destination, the source's licenses for it are
 * revoked (so its refresh is refused: LICENSE_REVOKED), and a transfer row and a
 * `registration.transferred` event are written. Shared by transfers and recoveries
 * (`recoveryId` then says which one moved it); the caller has checked both devices.
 */
export async function moveRegistration(
  ctx: ProviderContext,
  trx: Transaction<Database>,
  copy: RegistrationRow,
  destinationDeviceId: string,
  { recoveryId }: { recoveryId?: string } = {},
): Promise<Selectable<TransfersTable>> {
  const { user_id: userId, software_id: softwareId, device_id: sourceDeviceId } = copy;
  // Conditioned on the source device: of concurrent moves of one copy only one finds it.
  const moved = await trx
    .deleteFrom('registrations')
    .where('copy_id', '=', copy.copy_id)
    .where('device_id', '=', sourceDeviceId)
    .executeTakeFirst();
  if (Number(moved.numDeletedRows) !== 1) {
    throw problem('NOT_REGISTERED', `${softwareId} is not registered to the source device`);
  }
  const now = ctx.now();
  const at = now.toISOString();
  await trx
    .insertInto('registrations')
    .values({
      copy_id: copy.copy_id,
      user_id: userId,
      software_id: softwareId,
      device_id: destinationDeviceId,
      registered_at: at,
    })
    .execute();
  const revoked = await trx
    .updateTable('licenses')
    .set({ revoked_at: at })
    .where('copy_id', '=', copy.copy_id)
    .where('device_id', '=', sourceDeviceId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  const transfer = {
    transfer_id: newId('trf'),
    copy_id: copy.copy_id,
    user_id: userId,
    software_id: softwareId,
    source_device_id: sourceDeviceId,
    destination_device_id: destinationDeviceId,
    created_at: at,
  };
  await trx.insertInto('transfers').values(transfer).execute();
  await recordEvent(
    trx,
    {
      type: 'registration.transferred',
      user_id: userId,
      software_id: softwareId,
      device_id: destinationDeviceId,
      copy_id: copy.copy_id,
      data: {
        transferId: transfer.transfer_id,
        sourceDeviceId,
        destinationDeviceId,
        licensesRevoked: Number(revoked.numUpdatedRows),
        ...(recoveryId === undefined ? {} : { recoveryId }),
      },
    },
    now,
  );
  return transfer;
}

/** A move in its own transaction, replayed for a repeated Idempotency-Key. */
export async function transfer(
  ctx: ProviderContext,
  userId: string,
  body: TransferBody,
  idempotencyKey: string | undefined,
) {
  // Refused before the key is looked at, so this answer never depends on the key.
  refuseSameDevice(body);
  // The key's stored hash covers the request as sent (a retry must send the same).
  const scope = { userId, name: 'transfer', key: idempotencyKey, request: body };
  return runIdempotent(ctx, scope, async (trx) => ({
    status: 201,
    body: { transfer: toTransfer(await moveCopy(ctx, trx, userId, body)) },
  }));
}

/** The user's transfer history, newest first. */
export function listTransfers(db: Kysely<Database>, userId: string): Promise<Selectable<TransfersTable>[]> {
  return db
    .selectFrom('transfers')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('transfer_id')
    .execute();
}
