/**
 * The license server (S33/S23/S24/S11/S34–S37): a registered (user, device, software)
 * triple gets a one-time transaction ID; redeeming it from the same user and device
 * yields an Ed25519-signed license key. Keys are leases: refresh issues a new one while
 * the copy is still registered to the device, and is refused once it has moved.
 */
import type { Kysely, Transaction } from 'kysely';
import type { LicenseRequestBody, RedeemBody, RefreshBody } from '../../shared/provider-api/schemas.ts';
import type { LicenseClaims } from '../../shared/license/license.ts';
import type { ProviderContext } from '../context.ts';
import { inTransaction } from '../db/database.ts';
import type { Database, RegistrationRow } from '../db/schema.ts';
import { replaceComponents } from '../lib/device-records.ts';
import { findOwnDevice, findRegistration } from '../lib/ownership.ts';
import { problem, type ProblemError } from '../lib/problem.ts';
import { newId, newSecret, sha256Hex } from '../lib/secrets.ts';
import { cloneRefusal, noteInstallation } from './clones.ts';

export interface IssuedLicense {
  licenseKey: string;
  claims: LicenseClaims;
}

const notRegistered = (softwareId: string) =>
  problem('NOT_REGISTERED', `${softwareId} is not registered to that device; buy it or move it there first`);

/**
 * Record a license for a registration (the record is what a transfer revokes) and return
 * its claims; `signed` turns them into the key once the transaction has committed.
 */
async function recordLicense(
  ctx: ProviderContext,
  db: Kysely<Database>,
  registration: RegistrationRow,
): Promise<LicenseClaims> {
  const now = ctx.now();
  const iat = Math.floor(now.getTime() / 1000);
  const claims: LicenseClaims = {
    iss: ctx.settings.issuer,
    sub: registration.copy_id,
    sw: registration.software_id,
    usr: registration.user_id,
    dev: registration.device_id,
    iat,
    exp: iat + ctx.settings.leaseSeconds,
    jti: newId('lic'),
  };
  await db
    .insertInto('licenses')
    .values({
      jti: claims.jti,
      copy_id: claims.sub,
      user_id: claims.usr,
      software_id: claims.sw,
      device_id: claims.dev,
      issued_at: new Date(claims.iat * 1000).toISOString(),
      expires_at: new Date(claims.exp * 1000).toISOString(),
      revoked_at: null,
    })
    .execute();
  return claims;
}

/**
 * Signing happens after the commit, never inside a transaction: a transaction holds a
 * pool connection for as long as it runs, so it must not wait on anything else (see
 * license-signer.ts), and a retried transaction should not sign twice. Signing uses keys
 * in memory and cannot fail for want of the database; should it fail anyway, the client
 * asks for a new transaction ID — the recorded license is simply never delivered.
 */
async function signed(ctx: ProviderContext, claims: LicenseClaims): Promise<IssuedLicense> {
  return { licenseKey: await ctx.signer.sign(claims), claims };
}

/** A one-time transaction ID for a registered copy (10 minutes by default). */
export async function requestLicense(
  ctx: ProviderContext,
  userId: string,
  body: LicenseRequestBody,
): Promise<{ transactionId: string; expiresAt: string }> {
  const { softwareId, deviceId } = body;
  const registration = await findRegistration(ctx.registry.db, {
    userId,
    softwareId,
    deviceId,
  });
  if (!registration) throw notRegistered(softwareId);
  const transactionId = newSecret('kpt');
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + ctx.settings.transactionTtlSeconds * 1000).toISOString();
  await ctx.registry.db
    .insertInto('license_transactions')
    .values({
      transaction_hash: sha256Hex(transactionId),
      user_id: userId,
      device_id: deviceId,
      software_id: softwareId,
      copy_id: registration.copy_id,
      created_at: now.toISOString(),
      expires_at: expiresAt,
      redeemed_at: null,
    })
    .execute();
  return { transactionId, expiresAt };
}

/** The license key for a transaction ID, once, to the user and device it was issued to. */
export async function redeemLicense(
  ctx: ProviderContext,
  userId: string,
  body: RedeemBody,
): Promise<IssuedLicense> {
  const { transactionId, deviceId } = body;
  const hash = sha256Hex(transactionId);
  const claims = await inTransaction(ctx.registry, async (trx) => {
    const transaction = await trx
      .selectFrom('license_transactions')
      .selectAll()
      .where('transaction_hash', '=', hash)
      .executeTakeFirst();
    // Another user's or another device's transaction looks exactly like an unknown one.
    if (!transaction || transaction.user_id !== userId || transaction.device_id !== deviceId) {
      throw problem('TRANSACTION_UNKNOWN', 'ask for a new license; this transaction ID is not one of yours');
    }
    if (transaction.redeemed_at !== null) {
      throw problem('TRANSACTION_USED', 'this transaction ID was already redeemed; ask for a new license');
    }
    const now = ctx.now().toISOString();
    if (transaction.expires_at <= now) {
      throw problem('TRANSACTION_EXPIRED', 'this transaction ID has expired; ask for a new license');
    }
    // The conditional update is what makes a transaction ID single-use (invariant 3).
    const claimed = await trx
      .updateTable('license_transactions')
      .set({ redeemed_at: now })
      .where('transaction_hash', '=', hash)
      .where('redeemed_at', 'is', null)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) {
      throw problem('TRANSACTION_USED', 'this transaction ID was already redeemed; ask for a new license');
    }
    const registration = await findRegistration(trx, {
      userId,
      softwareId: transaction.software_id,
      deviceId,
    });
    if (!registration || registration.copy_id !== transaction.copy_id)
      throw notRegistered(transaction.software_id);
    return recordLicense(ctx, trx, registration);
  });
  return signed(ctx, claims);
}

/**
 * A new lease while the copy is still registered to the device; refused once it moved.
 * A refresh also reports the installation asking (clones, services/clones.ts) and the
 * hardware as it reads now; that report is kept even when the refresh is refused, so
 * refusals are decided inside the transaction and raised after it commits.
 */
export async function refreshLicense(
  ctx: ProviderContext,
  userId: string,
  body: RefreshBody,
): Promise<IssuedLicense> {
  const { softwareId, deviceId } = body;
  const outcome = await inTransaction(ctx.registry, async (trx) => {
    const clone = await noteRefresh(ctx, trx, userId, body);
    if (clone) return { refusal: clone };
    const registration = await findRegistration(trx, { userId, softwareId, deviceId });
    if (registration) return { claims: await recordLicense(ctx, trx, registration) };
    const revoked = await trx
      .selectFrom('licenses')
      .select('jti')
      .where('user_id', '=', userId)
      .where('software_id', '=', softwareId)
      .where('device_id', '=', deviceId)
      .where('revoked_at', 'is not', null)
      .executeTakeFirst();
    if (revoked) {
      return {
        refusal: problem(
          'LICENSE_REVOKED',
          `${softwareId} was moved to another device; remove it here or move it back`,
        ),
      };
    }
    return { refusal: notRegistered(softwareId) };
  });
  if ('refusal' in outcome) throw outcome.refusal;
  return signed(ctx, outcome.claims);
}

/**
 * What a refresh reports about its device, recorded if the device is the user's (another
 * user's device is never written to): the installation with the components it read
 * (kept per installation, to tell a clone from a second keychain on one machine), then
 * the device's components — unless the refresh is refused as a clone's, whose hardware
 * is not this device's.
 */
async function noteRefresh(
  ctx: ProviderContext,
  trx: Transaction<Database>,
  userId: string,
  { deviceId, installationId, components }: RefreshBody,
): Promise<ProblemError | undefined> {
  let device = await findOwnDevice(trx, userId, deviceId);
  if (!device) return undefined;
  if (installationId !== undefined)
    device = await noteInstallation(ctx, trx, device, installationId, components);
  const refusal = cloneRefusal(ctx, device, installationId);
  if (!refusal && components) await replaceComponents(trx, deviceId, components);
  return refusal;
}
