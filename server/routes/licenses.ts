/**
 * The license server (S33/S23/S24/S11/S34–S37): a registered (user, device, software)
 * triple gets a one-time transaction ID; redeeming it from the same user and device
 * yields an Ed25519-signed license key. Keys are leases: refresh issues a new one while
 * the copy is still registered to the device, and is refused once it has moved.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import {
  Jwks,
  LicenseRequestBody,
  LicenseRequestResult,
  LicenseResult,
  RedeemBody,
  RefreshBody,
} from '../../shared/api.ts';
import type { LicenseClaims } from '../../shared/license.ts';
import type { ProviderContext } from '../context.ts';
import { inTransaction } from '../db/database.ts';
import type { Database, RegistrationRow } from '../db/schema.ts';
import { currentUser, requireUser } from '../lib/auth.ts';
import { findRegistration } from '../lib/ownership.ts';
import { problem } from '../lib/problem.ts';
import { newId, newSecret, sha256Hex } from '../lib/secrets.ts';
import { bearerAuth, problems } from './schema-helpers.ts';

const notRegistered = (softwareId: string) =>
  problem('NOT_REGISTERED', `${softwareId} is not registered to that device; buy it or move it there first`);

/** Sign a license for a registration and record it (the record is what a transfer revokes). */
async function issueLicense(
  ctx: ProviderContext,
  db: Kysely<Database>,
  registration: RegistrationRow,
): Promise<{ licenseKey: string; claims: LicenseClaims }> {
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
  return { licenseKey: await ctx.signer.sign(claims), claims };
}

export const licenseRoutes: FastifyPluginAsyncZod<{ ctx: ProviderContext }> = async (app, { ctx }) => {
  const tags = ['licenses'];
  const security = bearerAuth;

  app.get(
    '/v1/licenses/jwks',
    { schema: { tags, summary: 'Public keys that verify license keys (JWKS)', response: { 200: Jwks } } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return ctx.signer.jwks;
    },
  );

  app.post(
    '/v1/licenses/requests',
    {
      onRequest: requireUser(ctx),
      schema: {
        tags,
        security,
        summary: 'Ask for a license: returns a one-time transaction ID (10 minutes)',
        body: LicenseRequestBody,
        response: { 201: LicenseRequestResult, ...problems('UNAUTHENTICATED', 'NOT_REGISTERED') },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const { softwareId, deviceId } = request.body;
      const registration = await findRegistration(ctx.registry.db, {
        userId: user.user_id,
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
          user_id: user.user_id,
          device_id: deviceId,
          software_id: softwareId,
          copy_id: registration.copy_id,
          created_at: now.toISOString(),
          expires_at: expiresAt,
          redeemed_at: null,
        })
        .execute();
      return reply.code(201).send({ transactionId, expiresAt });
    },
  );

  app.post(
    '/v1/licenses/redeem',
    {
      onRequest: requireUser(ctx),
      schema: {
        tags,
        security,
        summary: 'Redeem a transaction ID for the license key (once)',
        body: RedeemBody,
        response: {
          200: LicenseResult,
          ...problems(
            'UNAUTHENTICATED',
            'TRANSACTION_UNKNOWN',
            'TRANSACTION_USED',
            'TRANSACTION_EXPIRED',
            'NOT_REGISTERED',
          ),
        },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const { transactionId, deviceId } = request.body;
      const hash = sha256Hex(transactionId);
      return inTransaction(ctx.registry, async (trx) => {
        const transaction = await trx
          .selectFrom('license_transactions')
          .selectAll()
          .where('transaction_hash', '=', hash)
          .executeTakeFirst();
        // Another user's or another device's transaction looks exactly like an unknown one.
        if (!transaction || transaction.user_id !== user.user_id || transaction.device_id !== deviceId) {
          throw problem(
            'TRANSACTION_UNKNOWN',
            'ask for a new license; this transaction ID is not one of yours',
          );
        }
        if (transaction.redeemed_at !== null) {
          throw problem(
            'TRANSACTION_USED',
            'this transaction ID was already redeemed; ask for a new license',
          );
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
          throw problem(
            'TRANSACTION_USED',
            'this transaction ID was already redeemed; ask for a new license',
          );
        }
        const registration = await findRegistration(trx, {
          userId: user.user_id,
          softwareId: transaction.software_id,
          deviceId,
        });
        if (!registration || registration.copy_id !== transaction.copy_id)
          throw notRegistered(transaction.software_id);
        return issueLicense(ctx, trx, registration);
      });
    },
  );

  app.post(
    '/v1/licenses/refresh',
    {
      onRequest: requireUser(ctx),
      schema: {
        tags,
        security,
        summary: 'Renew the lease of a license while the copy is still on this device',
        body: RefreshBody,
        response: { 200: LicenseResult, ...problems('UNAUTHENTICATED', 'LICENSE_REVOKED', 'NOT_REGISTERED') },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const { softwareId, deviceId } = request.body;
      return inTransaction(ctx.registry, async (trx) => {
        const registration = await findRegistration(trx, { userId: user.user_id, softwareId, deviceId });
        if (registration) return issueLicense(ctx, trx, registration);
        const revoked = await trx
          .selectFrom('licenses')
          .select('jti')
          .where('user_id', '=', user.user_id)
          .where('software_id', '=', softwareId)
          .where('device_id', '=', deviceId)
          .where('revoked_at', 'is not', null)
          .executeTakeFirst();
        if (revoked) {
          throw problem(
            'LICENSE_REVOKED',
            `${softwareId} was moved to another device; remove it here or move it back`,
          );
        }
        throw notRegistered(softwareId);
      });
    },
  );
};
