/**
 * Purchases and the registered information (Fig. 9, S31/S21/S22): a purchase registers
 * software ↔ user ↔ device, only for a device enrolled to that user, and records the
 * charge — all in one transaction, together with the Idempotency-Key's stored result.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { IdempotencyHeaders, PurchaseBody, PurchaseResult, RegistrationList } from '../../shared/api.ts';
import type { ProviderContext } from '../context.ts';
import { isUniqueViolation } from '../db/database.ts';
import { recordEvent } from '../lib/audit.ts';
import { currentUser, requireUser } from '../lib/auth.ts';
import { findListedSoftware } from '../lib/catalog-queries.ts';
import { runIdempotent } from '../lib/idempotency.ts';
import { toPurchase, toRegistration } from '../lib/mappers.ts';
import { findCopy, findOwnDevice } from '../lib/ownership.ts';
import { problem } from '../lib/problem.ts';
import { newId } from '../lib/secrets.ts';
import { bearerAuth, problems } from './schema-helpers.ts';

export const purchaseRoutes: FastifyPluginAsyncZod<{ ctx: ProviderContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', requireUser(ctx));
  const security = bearerAuth;

  app.post(
    '/v1/purchases',
    {
      schema: {
        tags: ['purchases'],
        security,
        summary: 'Buy a program for one of your devices (honours Idempotency-Key)',
        headers: IdempotencyHeaders,
        body: PurchaseBody,
        response: {
          201: PurchaseResult,
          ...problems(
            'UNAUTHENTICATED',
            'DEVICE_NOT_ENROLLED',
            'NOT_FOUND',
            'ALREADY_REGISTERED',
            'IDEMPOTENCY_KEY_REUSED',
          ),
        },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const { softwareId, deviceId } = request.body;
      const scope = {
        userId: user.user_id,
        name: 'purchase',
        key: request.headers['idempotency-key'],
        request: request.body,
      };
      try {
        const result = await runIdempotent(ctx, scope, async (trx) => {
          if (!(await findOwnDevice(trx, user.user_id, deviceId))) {
            throw problem('DEVICE_NOT_ENROLLED', 'enrol this device to your account before buying for it');
          }
          const software = await findListedSoftware(trx, softwareId);
          if (!software) throw problem('NOT_FOUND', `there is no program "${softwareId}" in the catalog`);
          const owned = await findCopy(trx, user.user_id, softwareId);
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
            user_id: user.user_id,
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
              user_id: user.user_id,
              software_id: softwareId,
              device_id: deviceId,
              registered_at: purchase.created_at,
            })
            .execute();
          await recordEvent(
            trx,
            {
              type: 'registration.purchased',
              user_id: user.user_id,
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
          return { status: 201, body: { purchase: toPurchase(purchase) } };
        });
        if (result.replayed) reply.header('idempotent-replayed', 'true');
        return reply.code(result.status as 201).send(result.body);
      } catch (error) {
        // Two different requests racing to buy the same program: the loser sees the
        // unique constraint on (user, software) and gets the same answer as a late one.
        if (isUniqueViolation(error)) throw problem('ALREADY_REGISTERED', 'you already own this program');
        throw error;
      }
    },
  );

  app.get(
    '/v1/registrations',
    {
      schema: {
        tags: ['purchases'],
        security,
        summary: 'The registered information: which of your devices each copy lives on',
        response: { 200: RegistrationList, ...problems('UNAUTHENTICATED') },
      },
    },
    async (request) => {
      const rows = await ctx.registry.db
        .selectFrom('registrations')
        .selectAll()
        .where('user_id', '=', currentUser(request).user_id)
        .orderBy('registered_at')
        .orderBy('copy_id')
        .execute();
      return { registrations: rows.map(toRegistration) };
    },
  );
};
