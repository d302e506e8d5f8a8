/** Liveness and readiness (readiness asks the database). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { Health } from '../../shared/provider-api/schemas.ts';
import type { ProviderContext } from '../context.ts';
import { problem } from '../lib/problem.ts';
import { problems } from './schema-helpers.ts';

export const healthRoutes: FastifyPluginAsyncZod<{ ctx: ProviderContext }> = async (app, { ctx }) => {
  app.get(
    '/healthz',
    { schema: { tags: ['health'], summary: 'Liveness', response: { 200: Health } } },
    async () => ({
      status: 'ok',
    }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: the database answers',
        response: { 200: Health, ...problems('UNAVAILABLE') },
      },
    },
    async () => {
      try {
        await sql`select 1`.execute(ctx.registry.db);
      } catch {
        throw problem('UNAVAILABLE', 'the registry database does not answer');
      }
      return { status: 'ready', database: ctx.registry.dialect };
    },
  );
};
