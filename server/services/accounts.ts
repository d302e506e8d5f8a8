/**
 * Accounts and sessions: an account per email (compared trimmed and lower-cased), sign-in
 * with rate limits per email and per client address, session tokens stored hashed.
 */
import type { CreateAccountBody, LoginBody } from '../../shared/provider-api/schemas.ts';
import type { ProviderContext } from '../context.ts';
import { isUniqueViolation } from '../db/database.ts';
import type { UserRow } from '../db/schema.ts';
import { decoyHash, hashPassword, verifyPassword } from '../lib/passwords.ts';
import { problem } from '../lib/problem.ts';
import { newId, newSecret, sha256Hex } from '../lib/secrets.ts';

export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

/** A new session token for the user (only its hash is stored). */
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

/** A new account, signed in. `clientAddress` is what the per-address limit counts. */
export async function createAccount(
  ctx: ProviderContext,
  body: CreateAccountBody,
  clientAddress: string,
): Promise<{ user: UserRow; token: string }> {
  await ctx.rateLimiter.take(`accounts:${clientAddress}`, ctx.settings.rateLimits.accountsPerAddress);
  const user: UserRow = {
    user_id: newId('usr'),
    email: normaliseEmail(body.email),
    display_name: body.displayName,
    password_hash: await hashPassword(body.password),
    created_at: ctx.now().toISOString(),
  };
  try {
    await ctx.registry.db.insertInto('users').values(user).execute();
  } catch (error) {
    if (isUniqueViolation(error))
      throw problem('EMAIL_TAKEN', 'an account with that email exists; sign in instead');
    throw error;
  }
  return { user, token: await startSession(ctx, user.user_id) };
}

/** Sign in with email and password; failures count towards that email's lock. */
export async function signIn(
  ctx: ProviderContext,
  body: LoginBody,
  clientAddress: string,
): Promise<{ user: UserRow; token: string }> {
  const limits = ctx.settings.rateLimits;
  const email = normaliseEmail(body.email);
  const failures = `login-failures:${sha256Hex(email)}`;
  await ctx.rateLimiter.check(failures, limits.loginFailuresPerEmail);
  await ctx.rateLimiter.take(`login:${clientAddress}`, limits.loginAttemptsPerAddress);
  const user = await ctx.registry.db
    .selectFrom('users')
    .selectAll()
    .where('email', '=', email)
    .executeTakeFirst();
  // Verify against a decoy when there is no such account, so timing does not tell.
  const valid = await verifyPassword(body.password, user?.password_hash ?? (await decoyHash()));
  if (!user || !user.password_hash || !valid) {
    await ctx.rateLimiter.hit(failures, limits.loginFailuresPerEmail);
    throw problem('BAD_CREDENTIALS', 'check the email and password and try again');
  }
  await ctx.rateLimiter.reset(failures);
  return { user, token: await startSession(ctx, user.user_id) };
}

/** Ends the session whose token hashes to `tokenHash`. */
export async function endSession(ctx: ProviderContext, tokenHash: string): Promise<void> {
  await ctx.registry.db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
}
