/**
 * Fixed-window rate limits kept in the registry database, so every provider instance
 * sharing a database shares the same counters. A bucket is a string such as
 * `login-failures:<sha256 of email>`; nothing secret or personal is stored in clear.
 */
import type { RegistryDb } from '../db/database.ts';
import { inTransaction } from '../db/database.ts';
import type { WindowLimit } from '../context.ts';
import { problem } from './problem.ts';

export class RateLimiter {
  constructor(
    private readonly registry: RegistryDb,
    private readonly enabled: boolean,
    private readonly now: () => Date,
  ) {}

  /** Refuse with RATE_LIMITED (and Retry-After) when the bucket is already full. */
  async check(bucket: string, limit: WindowLimit): Promise<void> {
    if (!this.enabled) return;
    const row = await this.registry.db
      .selectFrom('rate_limits')
      .select(['window_start', 'hits'])
      .where('bucket', '=', bucket)
      .executeTakeFirst();
    if (!row) return;
    const retryAfter = this.secondsLeft(row.window_start, limit);
    if (retryAfter > 0 && row.hits >= limit.max) {
      throw problem('RATE_LIMITED', `too many attempts; try again in ${retryAfter} seconds`, {
        'retry-after': String(retryAfter),
      });
    }
  }

  /** Count one hit against the bucket. */
  async hit(bucket: string, limit: WindowLimit): Promise<void> {
    if (!this.enabled) return;
    const now = this.now().toISOString();
    await inTransaction(this.registry, async (trx) => {
      const row = await trx
        .selectFrom('rate_limits')
        .select(['window_start', 'hits'])
        .where('bucket', '=', bucket)
        .executeTakeFirst();
      if (row && this.secondsLeft(row.window_start, limit) > 0) {
        await trx
          .updateTable('rate_limits')
          .set({ hits: row.hits + 1 })
          .where('bucket', '=', bucket)
          .execute();
      } else {
        await trx
          .insertInto('rate_limits')
          .values({ bucket, window_start: now, hits: 1 })
          .onConflict((oc) => oc.column('bucket').doUpdateSet({ window_start: now, hits: 1 }))
          .execute();
      }
    });
  }

  /** Check and count in one go (for limits on every attempt, not only failures). */
  async take(bucket: string, limit: WindowLimit): Promise<void> {
    await this.check(bucket, limit);
    await this.hit(bucket, limit);
  }

  async reset(bucket: string): Promise<void> {
    if (!this.enabled) return;
    await this.registry.db.deleteFrom('rate_limits').where('bucket', '=', bucket).execute();
  }

  private secondsLeft(windowStart: string, limit: WindowLimit): number {
    const ends = Date.parse(windowStart) + limit.windowSeconds * 1000;
    return Math.ceil((ends - this.now().getTime()) / 1000);
  }
}
