/**
 * Fixed-window rate limits kept in the registry database, so every provider instance
 * sharing a database shares the same counters. A bucket is a string such as
 * `login-failures:<sha256 of email>`; nothing secret or personal is stored in clear.
 *
 * Counting is one `insert … on conflict do update … returning` statement: the
 * database applies concurrent hits one after another (a row lock on PostgreSQL, the
 * single writer on SQLite), so no hit is lost and no two requests both see the last
 * free slot, whichever instance they reach.
 */
import type { RegistryDb } from '../db/database.ts';
import { problem } from './problem.ts';

interface Window {
  hits: number;
  window_start: string;
}

/** At most `max` hits per `windowSeconds`. */
export interface WindowLimit {
  max: number;
  windowSeconds: number;
}

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
    if (row && row.hits >= limit.max) this.refuseUntilWindowEnds(row, limit);
  }

  /** Count one hit against the bucket. */
  async hit(bucket: string, limit: WindowLimit): Promise<void> {
    if (!this.enabled) return;
    await this.count(bucket, limit);
  }

  /** Count one hit, and refuse it if it is one too many (for limits on every attempt). */
  async take(bucket: string, limit: WindowLimit): Promise<void> {
    if (!this.enabled) return;
    const row = await this.count(bucket, limit);
    if (row.hits > limit.max) this.refuseUntilWindowEnds(row, limit);
  }

  async reset(bucket: string): Promise<void> {
    if (!this.enabled) return;
    await this.registry.db.deleteFrom('rate_limits').where('bucket', '=', bucket).execute();
  }

  /** Add one hit atomically: to the current window, or as the first of a new one. */
  private async count(bucket: string, limit: WindowLimit): Promise<Window> {
    const now = this.now();
    const startedAt = now.toISOString();
    // A window that started at or before this instant is over (ISO times sort as text).
    const expiredAt = new Date(now.getTime() - limit.windowSeconds * 1000).toISOString();
    return this.registry.db
      .insertInto('rate_limits')
      .values({ bucket, window_start: startedAt, hits: 1 })
      .onConflict((oc) =>
        oc.column('bucket').doUpdateSet((eb) => {
          const current = eb('rate_limits.window_start', '>', expiredAt);
          // Both right-hand sides see the row as it was before this update.
          return {
            hits: eb
              .case()
              .when(current)
              .then(eb('rate_limits.hits', '+', 1))
              .else(1)
              .end(),
            window_start: eb
              .case()
              .when(current)
              .then(eb.ref('rate_limits.window_start'))
              .else(startedAt)
              .end(),
          };
        }),
      )
      .returning(['hits', 'window_start'])
      .executeTakeFirstOrThrow();
  }

  private refuseUntilWindowEnds(row: Window, limit: WindowLimit): void {
    const ends = Date.parse(row.window_start) + limit.windowSeconds * 1000;
    const retryAfter = Math.ceil((ends - this.now().getTime()) / 1000);
    if (retryAfter <= 0) return;
    throw problem('RATE_LIMITED', `too many attempts; try again in ${retryAfter} seconds`, {
      'retry-after': String(retryAfter),
    });
  }
}
