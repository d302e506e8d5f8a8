/**
 * Opening the registry database and running work in transactions.
 *
 * SQLite (better-sqlite3) is the default: WAL so readers never wait for the writer,
 * foreign keys on, a busy timeout so a second process waits instead of failing.
 * Kysely's SQLite driver runs every query on one connection behind a mutex, so two
 * transactions in one provider never interleave: check-then-write inside a
 * transaction is atomic.
 *
 * PostgreSQL (`openPostgres`) is for several provider instances on one database. It
 * gets the same guarantee from SERIALIZABLE transactions that are retried when the
 * database reports that two of them could not both have run one after the other.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { CodeMigrationProvider, type Dialect } from './migrations.ts';
import type { Database } from './schema.ts';

export interface RegistryDb {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Human description for logs, without credentials. */
  describe: string;
  /** Ends every connection. Safe to call more than once. */
  close(): Promise<void>;
}

/** Wrap a close function so a second call waits for the first instead of failing. */
function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= close());
}

export async function openSqlite(file: string): Promise<RegistryDb> {
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const registry: RegistryDb = {
    db,
    dialect: 'sqlite',
    describe: `sqlite:${file}`,
    close: once(() => db.destroy()),
  };
  await migrate(registry);
  return registry;
}

export interface PostgresOptions {
  /** Connections this instance may hold open (default 10, or KEYPORT_DATABASE_POOL_SIZE). */
  poolSize?: number;
  /**
   * Called when an idle pooled connection fails (the server restarted, a proxy cut
   * it). The pool replaces it on the next query; without a listener Node would treat
   * the error as unhandled and stop the process.
   */
  onIdleConnectionError?: (error: Error) => void;
}

/** True for the URLs `openPostgres` accepts. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** `postgres://user@host:port/db`: the URL without its password or query string. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
    return `postgres://${user}${parsed.host}${parsed.pathname}`;
  } catch {
    return 'postgres (connection string not shown)';
  }
}

// int8 (bigint, bigserial, count(*)) arrives as a string by default because it can
// exceed 2^53. Ours never does (byte sizes, event IDs, row counts), and the contract
// says numbers, so read them as numbers — but never silently round one.
const INT8_OID = 20;
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`int8 value ${text} does not fit a JavaScript number`);
  return value;
}

const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<RegistryDb> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? (Number(process.env.KEYPORT_DATABASE_POOL_SIZE) || 10),
    // Fail fast when the database is unreachable, so /readyz answers 503 in seconds
    // instead of hanging the probe.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    types: pgTypes,
  });
  pool.on('error', (error) => options.onIdleConnectionError?.(error));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const registry: RegistryDb = {
    db,
    dialect: 'postgres',
    describe: describePostgresUrl(url),
    close: once(() => db.destroy()),
  };
  try {
    await migrate(registry);
  } catch (error) {
    await registry.close();
    throw error;
  }
  return registry;
}

/**
 * Bring the schema up to date. Kysely's Migrator takes a lock first (an advisory lock
 * on PostgreSQL), so several instances starting at once run each migration once.
 */
export async function migrate(registry: RegistryDb): Promise<void> {
  const migrator = new Migrator({
    db: registry.db,
    provider: new CodeMigrationProvider(registry.dialect),
    migrationTableName: 'keyport_migrations',
    migrationLockTableName: 'keyport_migrations_lock',
  });
  const { error } = await migrator.migrateToLatest();
  if (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`database migration failed (${registry.describe}): ${reason}`, { cause: error });
  }
}

/** serialization_failure and deadlock_detected: the transaction may simply run again. */
const RETRYABLE_PG_CODES = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 30;
/**
 * A unique violation under SERIALIZABLE is usually a race: a concurrent transaction
 * inserted the key after this one looked for it. Running the work again sees that row
 * and answers as if the two had run one after the other (an idempotent replay, a
 * DEVICE_TAKEN). A violation that is not a race fails again and is rethrown.
 */
const MAX_UNIQUE_VIOLATION_RETRIES = 2;

/** Retries since start-up, for benchmarks and for spotting contention. */
export const transactionRetries = { serialization: 0, uniqueViolation: 0, gaveUp: 0 };

/**
 * Run `work` in one transaction. On PostgreSQL the transaction is SERIALIZABLE and is
 * retried when the database reports a serialization failure, a deadlock or a racing
 * unique violation, so `work` must be safe to run again (it only touches the database).
 */
export async function inTransaction<T>(
  registry: RegistryDb,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  if (registry.dialect === 'sqlite') return registry.db.transaction().execute(work);
  let uniqueRetries = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await registry.db.transaction().setIsolationLevel('serializable').execute(work);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const serialization = typeof code === 'string' && RETRYABLE_PG_CODES.has(code);
      const racingInsert = isUniqueViolation(error) && uniqueRetries++ < MAX_UNIQUE_VIOLATION_RETRIES;
      if (!serialization && !racingInsert) throw error;
      if (serialization) transactionRetries.serialization++;
      else transactionRetries.uniqueViolation++;
      if (attempt >= MAX_ATTEMPTS) {
        transactionRetries.gaveUp++;
        // Contention this heavy is not the client's fault, nor a bug: the HTTP layer asks
        // the client to retry (503 UNAVAILABLE with Retry-After).
        throw new RegistryBusyError(attempt);
      }
      // Jittered, growing back-off so the losers of one race do not collide again.
      await sleep(Math.random() * Math.min(200, 4 * 2 ** attempt));
    }
  }
}

/** A transaction that kept losing serialization races; worth retrying a moment later. */
export class RegistryBusyError extends Error {
  constructor(readonly attempts: number) {
    super(`the registry stayed busy through ${attempts} attempts`);
    this.name = 'RegistryBusyError';
  }
}

/** True when `error` is a unique-constraint violation in either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  // better-sqlite3's extended codes; 23505 is PostgreSQL's unique_violation.
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
