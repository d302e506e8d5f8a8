/** Transfers over HTTP (the rules: services/transfers.ts). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  IdempotencyHeaders,
  TransferBody,
  TransferList,
  TransferResult,
} from '../../shared/provider-api/schemas.ts';
import type { ProviderContext } from '../context.ts';
import { currentUser, requireUser } from '../lib/auth.ts';
import { toTransfer } from '../lib/mappers.ts';
import { listTransfers, transfer } from '../services/transfers.ts';
import { bearerAuth, problems } from './schema-helpers.ts';
import { sendIdempotent } from './idempotent-reply.ts';

export const transferRoutes: FastifyPluginAsyncZod<{ ctx: ProviderContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', requireUser(ctx));
  const tags = ['transfers'];
  const security = bearerAuth;

  app.post(
    '/v1/transfers',
    {
      schema: {
        tags,
        security,
        summary: 'Move a copy from one of your devices to another (no charge; honours Idempotency-Key)',
        headers: IdempotencyHeaders,
        body: TransferBody,
        response: {
          201: TransferResult,
          ...problems(
            'UNAUTHENTICATED',
            'SAME_DEVICE',
            'DEVICE_NOT_ENROLLED',
            'NOT_REGISTERED',
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
        await transfer(ctx, userId, request.body, request.headers['idempotency-key']),
      );
    },
  );

  app.get(
    '/v1/transfers',
    {
      schema: {
        tags,
        security,
        summary: 'Your transfer history, newest first',
        response: { 200: TransferList, ...problems('UNAUTHENTICATED') },
      },
    },
    async (request) => {
      const rows = await listTransfers(ctx.registry.db, currentUser(request).user_id);
      return { transfers: rows.map(toTransfer) };
    },
  );
};
