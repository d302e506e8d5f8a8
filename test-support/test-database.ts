/**
 * Which database the provider suite runs against. SQLite (a file in the test's data
 * folder) unless KEYPORT_TEST_DATABASE_URL names a PostgreSQL server, in which case
 * each provider gets a fresh database of its own on that server (CREATE DATABASE
 * keyport_test_<random>), dropped again when the registry is closed. The URL's role
 * needs CREATEDB; `.ci/run` sets one up.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { openPostgres, openSqlite, type RegistryDb } from '../server/db/database.ts';

export function testDatabaseKind(): 'sqlite' | 'postgres' {
  return process.env.KEYPORT_TEST_DATABASE_URL ? 'postgres' : 'sqlite';
}

export interface TestDatabase {
  /** URL of the fresh database (with the server URL's credentials). */
  url: string;
  name: string;
  /** Drop it, ending any connection still open to it. Safe to call more than once. */
  drop(): Promise<void>;
}

function serverUrl(): string {
  const url = process.env.KEYPORT_TEST_DATABASE_URL;
  if (!url) throw new Error('KEYPORT_TEST_DATABASE_URL is not set: there is no PostgreSQL server to test on');
  return url;
}

/** Run one statement on the server's own database (CREATE/DROP DATABASE cannot run in a pool's transaction). */
async function onServer(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A new, empty PostgreSQL database on the test server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `keyport_test_${randomBytes(6).toString('hex')}`;
  // template0 + C collation: the same byte-order sorting and ASCII-only lower() as
  // SQLite, whatever locale the server's cluster was created with.
  await onServer(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  let dropping: Promise<void> | undefined;
  return {
    url: url.toString(),
    name,
    drop: () => (dropping ??= dropDatabase(name)),
  };
}

/**
 * DROP … WITH (FORCE) ends connections a test left open, but refuses (42501) when one of
 * them is not the role's own: an autovacuum worker that happens to be in the database.
 * A plain DROP stops autovacuum by itself, so that is the fallback (a few tries, since it
 * fails while a connection of ours is still closing).
 */
async function dropDatabase(name: string): Promise<void> {
  try {
    await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } catch (error) {
    if ((error as { code?: string }).code !== '42501') throw error;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await onServer(`DROP DATABASE IF EXISTS ${name}`);
        return;
      } catch (retryError) {
        if (attempt === 5) throw retryError;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }
}

export async function openTestRegistry(
  dataDir: string,
  options: { poolSize?: number } = {},
): Promise<RegistryDb> {
  if (testDatabaseKind() === 'sqlite') return openSqlite(path.join(dataDir, 'keyport.sqlite'));
  const database = await createTestDatabase();
  let registry: RegistryDb;
  try {
    registry = await openPostgres(database.url, { poolSize: options.poolSize ?? 8 });
  } catch (error) {
    await database.drop();
    throw error;
  }
  const closeConnections = registry.close;
  let closing: Promise<void> | undefined;
  return {
    ...registry,
    close: () => (closing ??= closeConnections().finally(() => database.drop())),
  };
}
