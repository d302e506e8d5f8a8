/**
 * Devices over HTTP: enrol, list, rename, retire (the rules: services/devices.ts), and
 * recognise and recover a changed machine (services/recognition.ts, services/recovery.ts).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  DeviceList,
  DeviceParams,
  DeviceResult,
  EnrolDeviceBody,
  EnrolResult,
  IdempotencyHeaders,
  RecogniseBody,
  RecognitionResult,
  RecoverBody,
  RecoveryResult,
  RenameDeviceBody,
} from '../../shared/provider-api/schemas.ts';
import type { ProviderContext } from '../context.ts';
import { currentUser, requireUser } from '../lib/auth.ts';
import { toDevice } from '../lib/mappers.ts';
import { enrolDevice, listDevices, renameDevice, retireDevice } from '../services/devices.ts';
import { recogniseBeforeEnrolling } from '../services/recognition.ts';
import { recover } from '../services/recovery.ts';
import { sendIdempotent } from './idempotent-reply.ts';
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
        description:
          'Also keeps what the device reports (hardware components, installation, where its ID came from), ' +
          'and answers `recognisedAs`: your other device whose components match this one under the ' +
          "provider's rule (most likely this machine under its old ID), with what a recovery would move, or null.",
        body: EnrolDeviceBody,
        response: {
          200: EnrolResult,
          201: EnrolResult,
          ...problems('UNAUTHENTICATED', 'DEVICE_TAKEN', 'DEVICE_LIMIT'),
        },
      },
    },
    async (request, reply) => {
      const { status, device, recognisedAs } = await enrolDevice(
        ctx,
        currentUser(request).user_id,
        request.body,
      );
      return reply.code(status).send({ device: toDevice(device), recognisedAs });
    },
  );

  app.post(
    '/v1/devices/recognitions',
    {
      schema: {
        tags,
        security,
        summary: 'Which of your devices a device not enrolled yet most likely is (changes nothing)',
        description:
          'The same match an enrolment answers as `recognisedAs`, for a device that cannot enrol yet ' +
          '(at the device limit, say): a recovery with `enrol` then enrols it and retires the old one in one step.',
        body: RecogniseBody,
        response: { 200: RecognitionResult, ...problems('UNAUTHENTICATED', 'DEVICE_TAKEN') },
      },
    },
    async (request) => {
      const recognisedAs = await recogniseBeforeEnrolling(ctx, currentUser(request).user_id, request.body);
      return { recognisedAs };
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

  app.post(
    '/v1/devices/:deviceId/recover',
    {
      schema: {
        tags,
        security,
        summary:
          'Move every copy of an old device here and retire it (a changed machine; honours Idempotency-Key)',
        description:
          "Only when the two devices' hardware components match under the provider's rule; else NOT_RECOGNISED " +
          '(use transfers). 201 with the new recovery; 200 with the earlier one when this recovery already happened. ' +
          'With `enrol`, a device not enrolled yet is enrolled by the recovery itself, even at the device limit ' +
          '(the old device is retired in the same step); `enrol` is ignored for a device already yours.',
        params: DeviceParams,
        headers: IdempotencyHeaders,
        body: RecoverBody,
        response: {
          200: RecoveryResult,
          201: RecoveryResult,
          ...problems(
            'UNAUTHENTICATED',
            'SAME_DEVICE',
            'DEVICE_NOT_ENROLLED',
            'DEVICE_TAKEN',
            'NOT_RECOGNISED',
            'IDEMPOTENCY_KEY_REUSED',
          ),
        },
      },
    },
    async (request, reply) => {
      const userId = currentUser(request).user_id;
      const result = await recover(
        ctx,
        userId,
        request.params.deviceId,
        request.body,
        request.headers['idempotency-key'],
      );
      return sendIdempotent(reply, result);
    },
  );
};
