/** The license server over HTTP (the rules: services/licenses.ts). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  LicenseRequestBody,
  LicenseRequestResult,
  LicenseResult,
  ProviderJwks,
  RedeemBody,
  RefreshBody,
} from '../../shared/provider-api/schemas.ts';
import type { ProviderContext } from '../context.ts';
import { currentUser, requireUser } from '../lib/auth.ts';
import { redeemLicense, refreshLicense, requestLicense } from '../services/licenses.ts';
import { bearerAuth, problems } from './schema-helpers.ts';

export const licenseRoutes: FastifyPluginAsyncZod<{ ctx: ProviderContext }> = async (app, { ctx }) => {
  const tags = ['licenses'];
  const security = bearerAuth;

  app.get(
    '/v1/licenses/jwks',
    {
      schema: {
        tags,
        summary: 'Public keys that verify license keys (JWKS), and the issuer their keys name',
        response: { 200: ProviderJwks },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      // The issuer travels with the keys: whoever verifies with them also checks `iss`.
      return { issuer: ctx.settings.issuer, ...ctx.signer.jwks };
    },
  );

  app.post(
    '/v1/licenses/requests',
    {
      onRequest: requireUser(ctx),
      schema: {
        tags,
        security,
        summary: 'Ask for a license: returns a one-time transaction ID (10 minutes)',
        body: LicenseRequestBody,
        response: { 201: LicenseRequestResult, ...problems('UNAUTHENTICATED', 'NOT_REGISTERED') },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await requestLicense(ctx, currentUser(request).user_id, request.body)),
  );

  app.post(
    '/v1/licenses/redeem',
    {
      onRequest: requireUser(ctx),
      schema: {
        tags,
        security,
        summary: 'Redeem a transaction ID for the license key (once)',
        body: RedeemBody,
        response: {
          200: LicenseResult,
          ...problems(
            'UNAUTHENTICATED',
            'TRANSACTION_UNKNOWN',
            'TRANSACTION_USED',
            'TRANSACTION_EXPIRED',
            'NOT_REGISTERED',
          ),
        },
      },
    },
    async (request) => redeemLicense(ctx, currentUser(request).user_id, request.body),
  );

  app.post(
    '/v1/licenses/refresh',
    {
      onRequest: requireUser(ctx),
      schema: {
        tags,
        security,
        summary: 'Renew the lease of a license while the copy is still on this device',
        description:
          'Also records the installation asking and the hardware components as they read now. A device ' +
          'ID found in use on two machines is flagged; under the refuse policy only its original ' +
          'installation is answered (DEVICE_CLONED for the others).',
        body: RefreshBody,
        response: {
          200: LicenseResult,
          ...problems('UNAUTHENTICATED', 'LICENSE_REVOKED', 'NOT_REGISTERED', 'DEVICE_CLONED'),
        },
      },
    },
    async (request) => refreshLicense(ctx, currentUser(request).user_id, request.body),
  );
};
