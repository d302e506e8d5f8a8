/**
 * Switchable faults, per mock instance, so tests and UI work can see how the app
 * copes with a provider that misbehaves: 500s, slowness, a connection that drops in
 * the middle of a download, a package whose bytes do not match its announced SHA-256,
 * and transaction IDs that have expired by the time they are redeemed.
 *
 * Everything is plain data (`snapshot()`), so `GET/PUT /__mock/faults` can show and
 * change it as JSON.
 */
import { z } from 'zod';

interface Failure {
  remaining: number;
  /** As given: a glob over the path (`*` = anything), a RegExp's source, or null for every path. */
  path: string | null;
  matches: (pathname: string) => boolean;
}

export interface FaultSnapshot {
  /** Milliseconds added before every API response. */
  latencyMs: number;
  /** Pending forced 500s, checked in order; each matching request uses one up. */
  failures: Array<{ remaining: number; path: string | null }>;
  /** The next `remaining` downloads are cut off after `afterBytes` bytes of body. */
  dropDownload: { afterBytes: number; remaining: number } | null;
  /** Downloads carry altered bytes while their headers announce the genuine SHA-256. */
  corruptDownloads: boolean;
  /** Redeeming any (known, unused) transaction ID answers 410 TRANSACTION_EXPIRED. */
  expireTransactions: boolean;
}

const Count = z.number().int().min(0).max(1_000_000);

/** Body of `PUT /__mock/faults`: any subset of the snapshot, plus `failNext` as a shortcut. */
export const FaultUpdate = z.strictObject({
  latencyMs: z.number().int().min(0).max(120_000).optional(),
  failures: z.array(z.strictObject({ remaining: Count, path: z.string().max(500).nullable() })).optional(),
  failNext: z.strictObject({ count: Count.default(1), path: z.string().max(500).optional() }).optional(),
  dropDownload: z
    .strictObject({ afterBytes: Count, remaining: Count.default(1) })
    .nullable()
    .optional(),
  corruptDownloads: z.boolean().optional(),
  expireTransactions: z.boolean().optional(),
});
export type FaultUpdate = z.input<typeof FaultUpdate>;

function globMatcher(glob: string): (pathname: string) => boolean {
  const pattern = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regex = new RegExp(`^${pattern}$`);
  return (pathname) => regex.test(pathname);
}

export class MockFaults {
  private latency = 0;
  private failures: Failure[] = [];
  private drop: { afterBytes: number; remaining: number } | null = null;
  private corrupt = false;
  private expire = false;

  /**
   * The next `count` requests whose path matches answer 500 INTERNAL. `pathPattern` is a
   * glob over the path without the query (`/v1/downloads/*`) or a RegExp; none = any path.
   */
  failNext(count = 1, pathPattern?: string | RegExp): void {
    if (count <= 0) return;
    if (pathPattern instanceof RegExp) {
      const regex = pathPattern;
      this.failures.push({ remaining: count, path: String(regex), matches: (p) => regex.test(p) });
    } else {
      const path = pathPattern ?? null;
      this.failures.push({ remaining: count, path, matches: path === null ? () => true : globMatcher(path) });
    }
  }

  /** Add `ms` milliseconds before every API response (0 switches it off). */
  setLatency(ms: number): void {
    this.latency = Math.max(0, ms);
  }

  /** Cut the next `times` downloads off after `afterBytes` bytes: the socket is destroyed. */
  dropNextDownload(afterBytes: number, times = 1): void {
    this.drop = times > 0 ? { afterBytes: Math.max(0, afterBytes), remaining: times } : null;
  }

  /** Serve altered package bytes under the genuine X-Checksum-SHA256 / Digest headers. */
  corruptDownloads(on = true): void {
    this.corrupt = on;
  }

  /** Answer 410 TRANSACTION_EXPIRED to every redeem of a known, unused transaction ID. */
  expireTransactions(on = true): void {
    this.expire = on;
  }

  reset(): void {
    this.latency = 0;
    this.failures = [];
    this.drop = null;
    this.corrupt = false;
    this.expire = false;
  }

  snapshot(): FaultSnapshot {
    return {
      latencyMs: this.latency,
      failures: this.failures.map(({ remaining, path }) => ({ remaining, path })),
      dropDownload: this.drop ? { ...this.drop } : null,
      corruptDownloads: this.corrupt,
      expireTransactions: this.expire,
    };
  }

  /** Apply a `PUT /__mock/faults` body (already validated); fields left out stay as they are. */
  apply(update: z.output<typeof FaultUpdate>): FaultSnapshot {
    if (update.latencyMs !== undefined) this.setLatency(update.latencyMs);
    if (update.failures !== undefined) {
      this.failures = [];
      for (const failure of update.failures) this.failNext(failure.remaining, failure.path ?? undefined);
    }
    if (update.failNext !== undefined) this.failNext(update.failNext.count, update.failNext.path);
    if (update.dropDownload !== undefined) {
      this.drop =
        update.dropDownload && update.dropDownload.remaining > 0 ? { ...update.dropDownload } : null;
    }
    if (update.corruptDownloads !== undefined) this.corrupt = update.corruptDownloads;
    if (update.expireTransactions !== undefined) this.expire = update.expireTransactions;
    return this.snapshot();
  }

  // ── used by the handlers ────────────────────────────────────────────────────

  get latencyMs(): number {
    return this.latency;
  }

  get corrupting(): boolean {
    return this.corrupt;
  }

  get expiringTransactions(): boolean {
    return this.expire;
  }

  /** Whether this request should fail with a 500; uses up one forced failure if so. */
  takeFailure(pathname: string): boolean {
    const failure = this.failures.find((f) => f.matches(pathname));
    if (!failure) return false;
    failure.remaining -= 1;
    if (failure.remaining <= 0) this.failures.splice(this.failures.indexOf(failure), 1);
    return true;
  }

  /** How many body bytes this download may send before the connection drops, or null. */
  takeDrop(): number | null {
    if (!this.drop) return null;
    const { afterBytes } = this.drop;
    this.drop.remaining -= 1;
    if (this.drop.remaining <= 0) this.drop = null;
    return afterBytes;
  }
}
