/**
 * Buying (Fig. 9, S31/S21/S22): a purchase registers software ↔ user ↔ device, only for
 * a device enrolled to that user, and records the charge and an audit event — in the
 * caller's transaction. `purchase` adds the Idempotency-Key and the race between two
 * different requests for the same copy.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { PurchaseBody } from '../../shared/provider-api/schemas.ts';
import type { ProviderContext } from '../context.ts';
import { isUniqueViolation } from '../db/database.ts';
import type { Database, PurchasesTable, RegistrationRow } from '../db/schema.ts';
import { recordEvent } from '../lib/audit.ts';
import { findListedSoftware } from '../lib/catalog-queries.ts';
import { runIdempotent } from '../lib/idempotency.ts';
import { toPurchase } from '../lib/mappers.ts';
import { findCopy, findOwnDevice } from '../lib/ownership.ts';
import { problem } from '../lib/problem.ts';
import { newId } from '../lib/secrets.ts';

/** The rules of one purchase, inside `trx`: the new purchase row (its copy is registered). */
export async function registerPurchase(
  ctx: ProviderContext,
  trx: Transaction<Database>,
  userId: string,
  { softwareId, deviceId }: PurchaseBody,
): Promise<Selectable<PurchasesTable>> {
  if (!(await findOwnDevice(trx, userId, deviceId))) {
    throw problem('DEVICE_NOT_ENROLLED', 'enrol this device to your account before buying for it');
  }
  const software = await findListedSoftware(trx, softwareId);
  if (!software) throw problem('NOT_FOUND', `there is no program "${softwareId}" in the catalog`);
  const owned = await findCopy(trx, userId, softwareId);
  if (owned) {
    throw problem(
      'ALREADY_REGISTERED',
      owned.device_id === deviceId
        ? `you already own ${software.name} on this device`
        : `you already own ${software.name} on another of your devices; move it here instead of buying it again`,
    );
  }
  const now = ctx.now();
  const purchase = {
    purchase_id: newId('pur'),
    user_id: userId,
    software_id: softwareId,
    device_id: deviceId,
    copy_id: newId('cpy'),
    price_cents: Number(software.price_cents),
    currency: software.currency,
    created_at: now.toISOString(),
  };
  await trx.insertInto('purchases').values(purchase).execute();
  await trx
    .insertInto('registrations')
    .values({
      copy_id: purchase.copy_id,
      user_id: userId,
      software_id: softwareId,
      device_id: deviceId,
      registered_at: purchase.created_at,
    })
    .execute();
  await recordEvent(
    trx,
    {
      type: 'registration.purchased',
      user_id: userId,
      software_id: softwareId,
      device_id: deviceId,
      copy_id: purchase.copy_id,
      data: {
        purchaseId: purchase.purchase_id,
        priceCents: purchase.price_cents,
        currency: purchase.currency,
      },
    },
    now,
  );
  return purchase;
}

/** A purchase in its own transaction, replayed for a repeated Idempotency-Key. */
export async function purchase(
  ctx: ProviderContext,
  userId: string,
  body: PurchaseBody,
  idempotencyKey: string | undefined,
) {
  // The key's stored hash covers the request as sent (a retry must send the same).
  const scope = { userId, name: 'purchase', key: idempotencyKey, request: body };
  try {
    return await runIdempotent(ctx, scope, async (trx) => ({
      status: 201,
      body: { purchase: toPurchase(await registerPurchase(ctx, trx, userId, body)) },
    }));
  } catch (error) {
    // Two different requests racing to buy the same program: the loser sees the unique
    // constraint on (user, software) and gets the same answer as a late one.
    if (isUniqueViolation(error)) throw problem('ALREADY_REGISTERED', 'you already own this program');
    throw error;
  }
}

/** The registered information: where each of the user's copies lives. */
export function listRegistrations(db: Kysely<Database>, userId: string): Promise<RegistrationRow[]> {
  return db
    .selectFrom('registrations')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('registered_at')
    .orderBy('copy_id')
    .execute();
}
