/** Devices: enrol this machine under the signed-in user, list, rename, retire. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  DeviceList,
  DeviceParams,
  DeviceResult,
  EnrolDeviceBody,
  RenameDeviceBody,
} from '../../shared/api.ts';
import type { ProviderContext } from '../context.ts';
import { inTransaction } from '../db/database.ts';
import { recordEvent } from '../lib/audit.ts';
import { currentUser, requireUser } from '../lib/auth.ts';
import { toDevice } from '../lib/mappers.ts';
import { problem } from '../lib/problem.ts';
import { bearerAuth, NoContent, problems } from './schema-helpers.ts';

export const deviceRoutes: FastifyPluginAsyncZod<{ ctx: ProviderContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', requireUser(ctx));
  const tags = ['devices'];
  const security = bearerAuth;

  app.post(
    '/v1/devices',
    {
      schema: {
        tags,
        security,
        summary: 'Enrol a device (201 when new, 200 when already yours)',
        body: EnrolDeviceBody,
        response: {
          200: DeviceResult,
          201: DeviceResult,
          ...problems('UNAUTHENTICATED', 'DEVICE_TAKEN', 'DEVICE_LIMIT'),
        },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const { deviceId, name, platform } = request.body;
      const result = await inTransaction(ctx.registry, async (trx) => {
        const existing = await trx
          .selectFrom('devices')
          .selectAll()
          .where('device_id', '=', deviceId)
          .executeTakeFirst();
        if (existing) {
          if (existing.user_id !== user.user_id) {
            throw problem(
              'DEVICE_TAKEN',
              'this device is enrolled to another account; that account must remove it first',
            );
          }
          return { status: 200 as const, device: existing };
        }
        const { count } = await trx
          .selectFrom('devices')
          .select((eb) => eb.fn.countAll<number>().as('count'))
          .where('user_id', '=', user.user_id)
          .executeTakeFirstOrThrow();
        if (Number(count) >= ctx.settings.deviceLimit) {
          throw problem(
            'DEVICE_LIMIT',
            `your account already has ${ctx.settings.deviceLimit} devices, the most allowed; remove one you no longer use, then enrol this one`,
          );
        }
        const now = ctx.now();
        const device = {
          device_id: deviceId,
          user_id: user.user_id,
          name,
          platform,
          enrolled_at: now.toISOString(),
        };
        await trx.insertInto('devices').values(device).execute();
        await recordEvent(
          trx,
          { type: 'device.enrolled', user_id: user.user_id, device_id: deviceId, data: { name, platform } },
          now,
        );
        return { status: 201 as const, device };
      });
      return reply.code(result.status).send({ device: toDevice(result.device) });
    },
  );

  app.get(
    '/v1/devices',
    {
      schema: {
        tags,
        security,
        summary: "The signed-in user's devices",
        response: { 200: DeviceList, ...problems('UNAUTHENTICATED') },
      },
    },
    async (request) => {
      const rows = await ctx.registry.db
        .selectFrom('devices')
        .selectAll()
        .where('user_id', '=', currentUser(request).user_id)
        .orderBy('enrolled_at')
        .orderBy('device_id')
        .execute();
      return { devices: rows.map(toDevice) };
    },
  );

  app.patch(
    '/v1/devices/:deviceId',
    {
      schema: {
        tags,
        security,
        summary: 'Rename a device',
        params: DeviceParams,
        body: RenameDeviceBody,
        response: { 200: DeviceResult, ...problems('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const device = await ctx.registry.db
        .updateTable('devices')
        .set({ name: request.body.name })
        .where('device_id', '=', request.params.deviceId)
        .where('user_id', '=', user.user_id)
        .returningAll()
        .executeTakeFirst();
      if (!device) throw problem('NOT_FOUND', 'you have no device with that ID');
      return { device: toDevice(device) };
    },
  );

  app.delete(
    '/v1/devices/:deviceId',
    {
      schema: {
        tags,
        security,
        summary: 'Retire a device (refused while software is registered to it)',
        params: DeviceParams,
        response: { 204: NoContent, ...problems('UNAUTHENTICATED', 'NOT_FOUND', 'DEVICE_HAS_SOFTWARE') },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const { deviceId } = request.params;
      await inTransaction(ctx.registry, async (trx) => {
        const device = await trx
          .selectFrom('devices')
          .select('device_id')
          .where('device_id', '=', deviceId)
          .where('user_id', '=', user.user_id)
          .executeTakeFirst();
        if (!device) throw problem('NOT_FOUND', 'you have no device with that ID');
        const registered = await trx
          .selectFrom('registrations')
          .select('software_id')
          .where('device_id', '=', deviceId)
          .execute();
        if (registered.length > 0) {
          throw problem(
            'DEVICE_HAS_SOFTWARE',
            `move ${registered.map((r) => r.software_id).join(', ')} to another device first, then remove this one`,
          );
        }
        await trx.deleteFrom('devices').where('device_id', '=', deviceId).execute();
        await recordEvent(
          trx,
          { type: 'device.retired', user_id: user.user_id, device_id: deviceId },
          ctx.now(),
        );
      });
      return reply.code(204).send(null);
    },
  );
};
