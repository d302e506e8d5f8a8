/**
 * `npm run test:postgres`: the whole provider suite again, on PostgreSQL, including
 * the multi-instance test that only PostgreSQL can run.
 *
 * The server comes from KEYPORT_TEST_DATABASE_URL (its role needs CREATEDB; every
 * test provider gets a database of its own there). `.ci/run` installs PostgreSQL and
 * sets it. Without it this run is SKIPPED, and says so — except under CI, where a
 * missing PostgreSQL is a failure: CI must never pass without having run it. A URL
 * that is set but does not answer is always a failure.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { describePostgresUrl } from '../db/database.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const url = process.env.KEYPORT_TEST_DATABASE_URL;

if (!url) {
  const reason =
    'KEYPORT_TEST_DATABASE_URL is not set, so there is no PostgreSQL server to run the provider suite on.\n' +
    '  To run it: bash .ci/run (installs and starts PostgreSQL), or point KEYPORT_TEST_DATABASE_URL at\n' +
    '  postgres://user:password@host:5432/db where the user may CREATE DATABASE.';
  if (process.env.CI === 'true') {
    console.error(`test:postgres FAILED: ${reason}`);
    process.exit(1);
  }
  console.log(`\ntest:postgres SKIPPED (not passed): ${reason}\n`);
  process.exit(0);
}

const where = describePostgresUrl(url);
const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
try {
  await client.connect();
  const { rows } = await client.query<{ version: string }>('select version() as version');
  console.log(`\ntest:postgres: provider suite on ${where}\n  ${rows[0]?.version ?? ''}\n`);
} catch (error) {
  console.error(
    `test:postgres FAILED: cannot reach ${where}: ${error instanceof Error ? error.message : error}`,
  );
  process.exit(1);
} finally {
  await client.end().catch(() => undefined);
}

const vitest = path.join(REPO_ROOT, 'node_modules', '.bin', 'vitest');
const result = spawnSync(vitest, ['run', 'server', ...process.argv.slice(2)], {
  cwd: REPO_ROOT,
  stdio: 'inherit',
  env: process.env,
});
process.exit(result.status ?? 1);
