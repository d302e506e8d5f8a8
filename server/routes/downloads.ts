/**
 * Serving the installation file (S22/S32) to a device the program is registered to.
 * Supports single `Range` requests (with `If-Range` on the ETag) so an interrupted
 * download resumes, and announces the SHA-256 so the app can verify what it got.
 */
import { createReadStream } from 'node:fs';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DownloadQuery, SoftwareParams } from '../../shared/provider-api/schemas.ts';
import { planDownload, unsatisfiableRangeHeaders } from '../../shared/provider-api/http-range.ts';
import type { ProviderContext } from '../context.ts';
import { currentUser, requireUser } from '../lib/auth.ts';
import { findListedSoftware } from '../lib/catalog-queries.ts';
import { findRegistration } from '../lib/ownership.ts';
import { problem } from '../lib/problem.ts';
import { bearerAuth, problems } from './schema-helpers.ts';

export const downloadRoutes: FastifyPluginAsyncZod<{ ctx: ProviderContext }> = async (app, { ctx }) => {
  app.get(
    '/v1/downloads/:softwareId',
    {
      onRequest: requireUser(ctx),
      schema: {
        tags: ['downloads'],
        security: bearerAuth,
        summary: 'Download the newest release (.tar.gz) to a device it is registered to',
        description:
          'Supports Range/If-Range. X-Checksum-SHA256 (hex) and Digest (sha-256, base64) name the bytes.',
        params: SoftwareParams,
        querystring: DownloadQuery,
        response: problems('UNAUTHENTICATED', 'NOT_REGISTERED', 'RANGE_NOT_SATISFIABLE'),
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const { softwareId } = request.params;
      const { deviceId } = request.query;
      const registration = await findRegistration(ctx.registry.db, {
        userId: user.user_id,
        softwareId,
        deviceId,
      });
      if (!registration) {
        throw problem(
          'NOT_REGISTERED',
          `${softwareId} is not registered to that device; buy it or move it there first`,
        );
      }
      const release = await findListedSoftware(ctx.registry.db, softwareId);
      if (!release) throw problem('NOT_FOUND', `${softwareId} has no published release`);

      const size = Number(release.size_bytes);
      const plan = planDownload(
        { softwareId, version: release.version, sha256: release.sha256, sizeBytes: size },
        { range: request.headers.range, ifRange: oneHeader(request.headers['if-range']) },
      );
      if (plan === null) {
        throw problem(
          'RANGE_NOT_SATISFIABLE',
          `the file is ${size} bytes long`,
          unsatisfiableRangeHeaders(size),
        );
      }
      reply.code(plan.status).headers(plan.headers);
      return reply.send(
        createReadStream(ctx.artifacts.pathOf(release.sha256), { start: plan.start, end: plan.end }),
      );
    },
  );
};

/** A header sent twice is one comma-joined value (RFC 9110 §5.3). */
function oneHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
