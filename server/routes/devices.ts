/** Devices over HTTP: enrol, list, rename, retire (the rules: services/devices.ts). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  DeviceList,
  DeviceParams,
  DeviceResult,
  EnrolDeviceBody,
  RenameDeviceBody,
} from '../../shared/provider-api/schemas.ts';
import type { ProviderContext } from '../context.ts';
import { currentUser, requireUser } from '../lib/auth.ts';
import { toDevice } from '../lib/mappers.ts';
import { enrolDevice, listDevices, renameDevice, retireDevice } from '../services/devices.ts';
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
      const { status, device } = await enrolDevice(ctx, currentUser(request).user_id, request.body);
      return reply.code(status).send({ device: toDevice(device) });
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
      const rows = await listDevices(ctx.registry.db, currentUser(request).user_id);
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
      const device = await renameDevice(
        ctx,
        currentUser(request).user_id,
        request.params.deviceId,
        request.body.name,
      );
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
      await retireDevice(ctx, currentUser(request).user_id, request.params.deviceId);
      return reply.code(204).send(null);
    },
  );
};
