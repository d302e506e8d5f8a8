/**
 * `Idempotency-Key` for purchases and transfers. The key's stored result is written in
 * the same transaction as the work itself, so either both happen or neither: a retry
 * after a crash, a timeout or a concurrent duplicate gets the first answer back and
 * never charges or moves twice. Reusing a key for a different request is refused.
 */
import type { Transaction } from 'kysely';
import type { ProviderContext } from '../context.ts';
import { inTransaction } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { problem } from './problem.ts';
import { sha256Hex } from './secrets.ts';

export interface IdempotentResult<T> {
  status: number;
  body: T;
  replayed: boolean;
}

export async function runIdempotent<T>(
  ctx: ProviderContext,
  scope: { userId: string; name: string; key: string | undefined; request: unknown },
  work: (trx: Transaction<Database>) => Promise<{ status: number; body: T }>,
): Promise<IdempotentResult<T>> {
  const requestHash = sha256Hex(JSON.stringify(scope.request));
  return inTransaction(ctx.registry, async (trx) => {
    if (scope.key !== undefined) {
      const stored = await trx
        .selectFrom('idempotency_keys')
        .select(['request_hash', 'status_code', 'response_body'])
        .where('user_id', '=', scope.userId)
        .where('scope', '=', scope.name)
        .where('idempotency_key', '=', scope.key)
        .executeTakeFirst();
      if (stored) {
        if (stored.request_hash !== requestHash) {
          throw problem(
            'IDEMPOTENCY_KEY_REUSED',
            'this Idempotency-Key was used for a different request; use a new key',
          );
        }
        return { status: stored.status_code, body: JSON.parse(stored.response_body) as T, replayed: true };
      }
    }
    const result = await work(trx);
    if (scope.key !== undefined) {
      await trx
        .insertInto('idempotency_keys')
        .values({
          user_id: scope.userId,
          scope: scope.name,
          idempotency_key: scope.key,
          request_hash: requestHash,
          status_code: result.status,
          response_body: JSON.stringify(result.body),
          created_at: ctx.now().toISOString(),
        })
        .execute();
    }
    return { ...result, replayed: false };
  });
}
