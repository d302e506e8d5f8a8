/** Accounts and sessions: create an account, sign in and out, who am I. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CreateAccountBody, LoginBody, MeResult, SessionResult } from '../../shared/api.ts';
import type { ProviderContext } from '../context.ts';
import { isUniqueViolation } from '../db/database.ts';
import { currentUser, requireUser } from '../lib/auth.ts';
import { toUser } from '../lib/mappers.ts';
import { decoyHash, hashPassword, verifyPassword } from '../lib/passwords.ts';
import { problem } from '../lib/problem.ts';
import { newId, newSecret, sha256Hex } from '../lib/secrets.ts';
import { bearerAuth, NoContent, problems } from './schema-helpers.ts';

export async function startSession(ctx: ProviderContext, userId: string): Promise<string> {
  const token = newSecret('kps');
  const now = ctx.now();
  await ctx.registry.db
    .insertInto('sessions')
    .values({
      token_hash: sha256Hex(token),
      user_id: userId,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + ctx.settings.sessionTtlSeconds * 1000).toISOString(),
    })
    .execute();
  return token;
}

export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

export const accountRoutes: FastifyPluginAsyncZod<{ ctx: ProviderContext }> = async (app, { ctx }) => {
  const limits = ctx.settings.rateLimits;

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
      await ctx.rateLimiter.take(`accounts:${request.ip}`, limits.accountsPerAddress);
      const email = normaliseEmail(request.body.email);
      const row = {
        user_id: newId('usr'),
        email,
        display_name: request.body.displayName,
        password_hash: await hashPassword(request.body.password),
        created_at: ctx.now().toISOString(),
      };
      try {
        await ctx.registry.db.insertInto('users').values(row).execute();
      } catch (error) {
        if (isUniqueViolation(error))
          throw problem('EMAIL_TAKEN', 'an account with that email exists; sign in instead');
        throw error;
      }
      const token = await startSession(ctx, row.user_id);
      return reply.code(201).send({ user: toUser(row), token });
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
      const email = normaliseEmail(request.body.email);
      const failures = `login-failures:${sha256Hex(email)}`;
      await ctx.rateLimiter.check(failures, limits.loginFailuresPerEmail);
      await ctx.rateLimiter.take(`login:${request.ip}`, limits.loginAttemptsPerAddress);
      const user = await ctx.registry.db
        .selectFrom('users')
        .selectAll()
        .where('email', '=', email)
        .executeTakeFirst();
      // Verify against a decoy when there is no such account, so timing does not tell.
      const valid = await verifyPassword(request.body.password, user?.password_hash ?? (await decoyHash()));
      if (!user || !user.password_hash || !valid) {
        await ctx.rateLimiter.hit(failures, limits.loginFailuresPerEmail);
        throw problem('BAD_CREDENTIALS', 'check the email and password and try again');
      }
      await ctx.rateLimiter.reset(failures);
      const token = await startSession(ctx, user.user_id);
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
      await ctx.registry.db.deleteFrom('sessions').where('token_hash', '=', request.sessionHash!).execute();
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
