/**
 * Purchases and the registered information over HTTP (the rules: services/purchases.ts).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  IdempotencyHeaders,
  PurchaseBody,
  PurchaseResult,
  RegistrationList,
} from '../../shared/provider-api/schemas.ts';
import type { ProviderContext } from '../context.ts';
import { currentUser, requireUser } from '../lib/auth.ts';
import { toRegistration } from '../lib/mappers.ts';
import { listRegistrations, purchase } from '../services/purchases.ts';
import { bearerAuth, problems } from './schema-helpers.ts';
import { sendIdempotent } from './idempotent-reply.ts';

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
      const userId = currentUser(request).user_id;
      return sendIdempotent(
        reply,
        await purchase(ctx, userId, request.body, request.headers['idempotency-key']),
      );
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
      const rows = await listRegistrations(ctx.registry.db, currentUser(request).user_id);
      return { registrations: rows.map(toRegistration) };
    },
  );
};
