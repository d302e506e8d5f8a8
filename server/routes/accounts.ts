/** Accounts and sessions over HTTP (the rules: services/accounts.ts). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CreateAccountBody, LoginBody, MeResult, SessionResult } from '../../shared/provider-api/schemas.ts';
import type { ProviderContext } from '../context.ts';
import { currentUser, requireUser } from '../lib/auth.ts';
import { toUser } from '../lib/mappers.ts';
import { createAccount, endSession, signIn } from '../services/accounts.ts';
import { bearerAuth, NoContent, problems } from './schema-helpers.ts';

export const accountRoutes: FastifyPluginAsyncZod<{ ctx: ProviderContext }> = async (app, { ctx }) => {
  app.post(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Create an account (and sign in)',
        body: CreateAccountBody,
        response: { 201: SessionResult, ...problems('EMAIL_TAKEN', 'RATE_LIMITED') },
      },
    },
    async (request, reply) => {
      const { user, token } = await createAccount(ctx, request.body, request.ip);
      return reply.code(201).send({ user: toUser(user), token });
    },
  );

  app.post(
    '/v1/sessions',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Sign in',
        body: LoginBody,
        response: { 201: SessionResult, ...problems('BAD_CREDENTIALS', 'RATE_LIMITED') },
      },
    },
    async (request, reply) => {
      const { user, token } = await signIn(ctx, request.body, request.ip);
      return reply.code(201).send({ user: toUser(user), token });
    },
  );

  app.delete(
    '/v1/sessions/current',
    {
      onRequest: requireUser(ctx),
      schema: {
        tags: ['accounts'],
        summary: 'Sign out (ends this session token)',
        security: bearerAuth,
        response: { 204: NoContent, ...problems('UNAUTHENTICATED') },
      },
    },
    async (request, reply) => {
      await endSession(ctx, request.sessionHash!);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/me',
    {
      onRequest: requireUser(ctx),
      schema: {
        tags: ['accounts'],
        summary: 'The signed-in user',
        security: bearerAuth,
        response: { 200: MeResult, ...problems('UNAUTHENTICATED') },
      },
    },
    async (request) => ({ user: toUser(currentUser(request)) }),
  );
};
