/**
 * Which database the provider suite runs against. SQLite (a file in the test's data
 * folder) unless KEYPORT_TEST_DATABASE_URL names a PostgreSQL server, in which case
 * each provider gets a fresh database of its own on that server.
 */
import path from 'node:path';
import { openSqlite, type RegistryDb } from '../db/database.ts';

export function testDatabaseKind(): 'sqlite' | 'postgres' {
  return process.env.KEYPORT_TEST_DATABASE_URL ? 'postgres' : 'sqlite';
}

export async function openTestRegistry(dataDir: string): Promise<RegistryDb> {
  if (testDatabaseKind() === 'postgres') {
    throw new Error('PostgreSQL test databases are not wired up yet');
  }
  return openSqlite(path.join(dataDir, 'keyport.sqlite'));
}
