/**
 * Who is asking. `requireUser` resolves a session bearer token (stored hashed, with an
 * expiry) to a user; `requireAdmin` checks the admin token in constant time. Both
 * answer 401 UNAUTHENTICATED with a WWW-Authenticate header when they cannot.
 * Routes run them as `onRequest` hooks, before the body is even read, so an
 * anonymous caller learns nothing from validation errors and cannot make us parse
 * large uploads.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ProviderContext } from '../context.ts';
import type { UserRow } from '../db/schema.ts';
import { problem } from './problem.ts';
import { sha256Hex } from './secrets.ts';

declare module 'fastify' {
  interface FastifyRequest {
    user?: UserRow;
    sessionHash?: string;
  }
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="keyport"' };

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header?.match(/^Bearer\s+(\S{1,512})$/i);
  return match?.[1];
}

export function requireUser(ctx: ProviderContext) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = bearer(request);
    if (!token)
      throw problem(
        'UNAUTHENTICATED',
        'send "Authorization: Bearer <session token>"; sign in to get one',
        CHALLENGE,
      );
    const tokenHash = sha256Hex(token);
    const row = await ctx.registry.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.user_id', 'sessions.user_id')
      .selectAll('users')
      .select('sessions.expires_at')
      .where('sessions.token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (!row || row.expires_at <= ctx.now().toISOString()) {
      throw problem('UNAUTHENTICATED', 'your session has ended; sign in again', CHALLENGE);
    }
    const { expires_at: _expires, ...user } = row;
    request.user = user;
    request.sessionHash = tokenHash;
  };
}

export function requireAdmin(ctx: ProviderContext) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = bearer(request);
    if (!token || !matchesDigest(token, ctx.adminTokenHash)) {
      throw problem('UNAUTHENTICATED', 'admin routes need "Authorization: Bearer <admin token>"', CHALLENGE);
    }
  };
}

/** Constant-time check of a secret against a stored SHA-256 digest (hex). */
function matchesDigest(secret: string, sha256: string): boolean {
  const given = Buffer.from(sha256Hex(secret), 'hex');
  const expected = Buffer.from(sha256, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The signed-in user; only call behind requireUser. */
export function currentUser(request: FastifyRequest): UserRow {
  if (!request.user) throw new Error('route is missing requireUser');
  return request.user;
}
