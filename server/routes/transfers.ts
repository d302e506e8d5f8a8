/**
 * Transfers (Fig. 15, S81–S83/S71–S73/S91–S97): in one transaction the source
 * registration is deleted, the destination registered, the source's licenses revoked
 * and an audit event written. No charge. With SQLite's single writer (or PostgreSQL's
 * SERIALIZABLE) and the delete conditioned on the source device, of any number of
 * concurrent transfers of one copy exactly one finds it on its source.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { IdempotencyHeaders, TransferBody, TransferList, TransferResult } from '../../shared/api.ts';
import type { ProviderContext } from '../context.ts';
import { recordEvent } from '../lib/audit.ts';
import { currentUser, requireUser } from '../lib/auth.ts';
import { runIdempotent } from '../lib/idempotency.ts';
import { toTransfer } from '../lib/mappers.ts';
import { findCopy, findOwnDevice } from '../lib/ownership.ts';
import { problem } from '../lib/problem.ts';
import { newId } from '../lib/secrets.ts';
import { bearerAuth, problems } from './schema-helpers.ts';

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
      const user = currentUser(request);
      const { softwareId, sourceDeviceId, destinationDeviceId } = request.body;
      if (sourceDeviceId === destinationDeviceId) {
        throw problem('SAME_DEVICE', 'choose a destination other than the device the program is on');
      }
      const scope = {
        userId: user.user_id,
        name: 'transfer',
        key: request.headers['idempotency-key'],
        request: request.body,
      };
      const result = await runIdempotent(ctx, scope, async (trx) => {
        if (!(await findOwnDevice(trx, user.user_id, sourceDeviceId))) {
          throw problem('DEVICE_NOT_ENROLLED', 'the source device is not enrolled to your account');
        }
        if (!(await findOwnDevice(trx, user.user_id, destinationDeviceId))) {
          throw problem('DEVICE_NOT_ENROLLED', 'enrol the destination device to your account first');
        }
        const copy = await findCopy(trx, user.user_id, softwareId);
        if (copy?.device_id === destinationDeviceId) {
          throw problem(
            'ALREADY_REGISTERED',
            `${softwareId} is already registered to the destination device`,
          );
        }
        if (!copy || copy.device_id !== sourceDeviceId) {
          throw problem('NOT_REGISTERED', `${softwareId} is not registered to the source device`);
        }
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
            user_id: user.user_id,
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
          user_id: user.user_id,
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
            user_id: user.user_id,
            software_id: softwareId,
            device_id: destinationDeviceId,
            copy_id: copy.copy_id,
            data: {
              transferId: transfer.transfer_id,
              sourceDeviceId,
              destinationDeviceId,
              licensesRevoked: Number(revoked.numUpdatedRows),
            },
          },
          now,
        );
        return { status: 201, body: { transfer: toTransfer(transfer) } };
      });
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(result.status as 201).send(result.body);
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
      const rows = await ctx.registry.db
        .selectFrom('transfers')
        .selectAll()
        .where('user_id', '=', currentUser(request).user_id)
        .orderBy('created_at', 'desc')
        .orderBy('transfer_id')
        .execute();
      return { transfers: rows.map(toTransfer) };
    },
  );
};
