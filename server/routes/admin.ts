/** Admin: the retailer's provisioning, catalog publishing and the audit log. */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  CreateSoftwareBody,
  EventList,
  EventsQuery,
  ProvisionBody,
  ProvisionResult,
  ReleaseCreated,
  SoftwareCreated,
  SoftwareParams,
  PACKAGE_TYPES,
} from '../../shared/provider-api/schemas.ts';
import type { ProviderContext } from '../context.ts';
import { createSoftware, provision, publishRelease, releaseTooLarge } from '../services/admin.ts';
import { requireAdmin } from '../lib/auth.ts';
import { toDevice, toUser } from '../lib/mappers.ts';
import { problem } from '../lib/problem.ts';
import { adminAuth, problems } from './schema-helpers.ts';

export const adminRoutes: FastifyPluginAsyncZod<{ ctx: ProviderContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', requireAdmin(ctx));
  // A release is streamed, never buffered: the body stays the request stream, and the
  // publish service enforces the size limit while it reads (Fastify's bodyLimit only
  // applies to bodies it buffers itself).
  app.addContentTypeParser(PACKAGE_TYPES, (_request, payload, done) => done(null, payload));
  const tags = ['admin'];
  const security = adminAuth;

  app.post(
    '/v1/admin/provision',
    {
      schema: {
        tags,
        security,
        summary: "Register a user and their device IDs (the retailer's job)",
        body: ProvisionBody,
        response: { 201: ProvisionResult, ...problems('UNAUTHENTICATED', 'DEVICE_TAKEN') },
      },
    },
    async (request, reply) => {
      const { user, devices } = await provision(ctx, request.body);
      return reply.code(201).send({ user: toUser(user), devices: devices.map(toDevice) });
    },
  );

  app.post(
    '/v1/admin/software',
    {
      schema: {
        tags,
        security,
        summary: 'Add a program to the catalog (it is listed once it has a release)',
        body: CreateSoftwareBody,
        response: { 201: SoftwareCreated, ...problems('UNAUTHENTICATED', 'ALREADY_EXISTS') },
      },
    },
    async (request, reply) => {
      const row = await createSoftware(ctx, request.body);
      return reply.code(201).send({
        software: {
          softwareId: row.software_id,
          name: row.name,
          summary: row.summary,
          priceCents: row.price_cents,
          currency: row.currency,
          createdAt: row.created_at,
        },
      });
    },
  );

  app.post(
    '/v1/admin/software/:softwareId/releases',
    {
      schema: {
        tags,
        security,
        summary: 'Publish a release: the body is the .tar.gz, with keyport.json {version, entry} at its root',
        consumes: ['application/gzip'],
        params: SoftwareParams,
        response: {
          201: ReleaseCreated,
          ...problems(
            'UNAUTHENTICATED',
            'NOT_FOUND',
            'ALREADY_EXISTS',
            'PAYLOAD_TOO_LARGE',
            'UNSUPPORTED_MEDIA_TYPE',
          ),
        },
      },
    },
    async (request, reply) => {
      // Other bodies (JSON, text) have parsers of their own; a release is only ever gzip bytes.
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (!PACKAGE_TYPES.includes(type)) {
        throw problem(
          'UNSUPPORTED_MEDIA_TYPE',
          'send the .tar.gz as the body, with content-type application/gzip',
        );
      }
      const declared = Number(request.headers['content-length'] ?? 0);
      const upload = request.body instanceof Readable ? request.body : Readable.from([]);
      try {
        if (declared > ctx.settings.maxReleaseBytes) throw releaseTooLarge(ctx);
        const release = await publishRelease(ctx, request.params.softwareId, upload);
        return await reply.code(201).send({ release });
      } catch (error) {
        // Refused before the client finished sending: close rather than read the rest.
        if (!upload.readableEnded) reply.header('connection', 'close');
        throw error;
      }
    },
  );

  app.get(
    '/v1/admin/events',
    {
      schema: {
        tags,
        security,
        summary: 'The audit log, oldest first, after an event ID',
        querystring: EventsQuery,
        response: { 200: EventList, ...problems('UNAUTHENTICATED') },
      },
    },
    async (request) => {
      const { after, limit } = request.query;
      const rows = await ctx.registry.db
        .selectFrom('audit_events')
        .selectAll()
        .where('event_id', '>', after)
        .orderBy('event_id')
        .limit(limit)
        .execute();
      const events = rows.map((row) => ({
        eventId: Number(row.event_id),
        type: row.type,
        userId: row.user_id,
        softwareId: row.software_id,
        deviceId: row.device_id,
        copyId: row.copy_id,
        data: JSON.parse(row.data) as Record<string, unknown>,
        createdAt: row.created_at,
      }));
      return { events, nextAfter: events.at(-1)?.eventId ?? after };
    },
  );
};
