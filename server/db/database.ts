/**
 * Opening the registry database and running work in transactions.
 *
 * SQLite (better-sqlite3) is the default: WAL so readers never wait for the writer,
 * foreign keys on, a busy timeout so a second process waits instead of failing.
 * Kysely's SQLite driver runs every query on one connection behind a mutex, so two
 * transactions in one provider never interleave: check-then-write inside a
 * transaction is atomic. PostgreSQL gets the same guarantee from SERIALIZABLE
 * transactions that are retried on serialization failures.
 */
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type Transaction } from 'kysely';
import { CodeMigrationProvider, type Dialect } from './migrations.ts';
import type { Database } from './schema.ts';

export interface RegistryDb {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Human description for logs, without credentials. */
  describe: string;
  close(): Promise<void>;
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
    close: () => db.destroy(),
  };
  await migrate(registry);
  return registry;
}

export async function migrate(registry: RegistryDb): Promise<void> {
  const migrator = new Migrator({
    db: registry.db,
    provider: new CodeMigrationProvider(registry.dialect),
    migrationTableName: 'keyport_migrations',
    migrationLockTableName: 'keyport_migrations_lock',
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw new Error(`database migration failed: ${String(error)}`, { cause: error });
}

const RETRYABLE_PG_CODES = new Set(['40001', '40P01']);

/**
 * Run `work` in one transaction. On PostgreSQL the transaction is SERIALIZABLE and is
 * retried when the database reports a serialization failure or deadlock, so `work`
 * must be safe to run again (it only touches the database).
 */
export async function inTransaction<T>(
  registry: RegistryDb,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  if (registry.dialect === 'sqlite') return registry.db.transaction().execute(work);
  for (let attempt = 1; ; attempt++) {
    try {
      return await registry.db.transaction().setIsolationLevel('serializable').execute(work);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= 20 || typeof code !== 'string' || !RETRYABLE_PG_CODES.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}

/** True when `error` is a unique-constraint violation in either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return (
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    e?.code === '23505'
  );
}
