/**
 * `npm run server -- --port 8787 --host 127.0.0.1 --data ./data [--seed-demo]
 *   [--database-url postgres://…]` — or `keyport-provider …` once the package is installed.
 * Starts the provider. Prints where it listens, where the docs are, which database it
 * uses (never its password) and where the admin token is kept (never the token).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCommandLine } from '../shared/command-line.ts';
import { onStopSignal } from '../shared/stop-signals.ts';
import { buildApp } from './app.ts';
import { CLONE_POLICIES, DEFAULT_SETTINGS, type ProviderSettings } from './context.ts';
import { isPostgresUrl } from './db/database.ts';
import { COMPONENT_MATCH_RULES } from './lib/component-match.ts';
import { DEMO_ACCOUNT, seedDemo } from './seed/demo.ts';

const USAGE = `Usage: keyport-provider [options]   (in a checkout: npm run server -- [options])
  --port N               port to listen on (default 8787, or KEYPORT_PORT / PORT)
  --host H               address to bind (default 127.0.0.1, or KEYPORT_HOST)
  --data DIR             data folder: database, packages, keys, admin token (default ./data)
  --database-url URL     postgres://user:password@host:5432/db — PostgreSQL instead of the
                         SQLite file under --data (or DATABASE_URL); several instances may share it
  --artifacts DIR        where release packages are kept (default DATA/artifacts, or
                         KEYPORT_ARTIFACTS_DIR); share one folder between instances
  --seed-demo            add the demo account, its second device and the demo catalog
                         (or KEYPORT_SEED_DEMO=1)
  --device-limit N       devices per user (default 5, or KEYPORT_DEVICE_LIMIT)
  --issuer NAME          "iss" of license keys (default keyport)
  --component-match R    when a new device ID counts as one of the user's devices after a
                         hardware change (offered a recovery): most (default; more than half
                         of the components both reported, and at least 2), two (at least 2),
                         all (every one, at least 2), off (never); or KEYPORT_COMPONENT_MATCH
  --clone-policy P       a device ID in use on two machines: refuse (default; only the
                         installation seen there first may renew licenses) or flag (shown,
                         still answered); or KEYPORT_CLONE_POLICY
  --max-release-mib N    largest release upload, compressed (default 256, or KEYPORT_MAX_RELEASE_MIB)
  --max-expanded-mib N   largest size a release may expand to (default 1024, or
                         KEYPORT_MAX_EXPANDED_MIB); refused while it streams in
  --max-entry-mib N      largest single file in a release (default 512, or KEYPORT_MAX_ENTRY_MIB)
  --max-entries N        most files, folders and links in a release (default 20000, or
                         KEYPORT_MAX_ENTRIES)
  --rotate-license-key   add a new license-signing key (old ones stay in the JWKS); it signs
                         at once on SQLite, and 10 minutes later on PostgreSQL, once every
                         instance and client cache has its public key
  --help                 this text
Environment: KEYPORT_ADMIN_TOKEN, KEYPORT_RATE_LIMITS=off, LOG_LEVEL, KEYPORT_DEVICE_LIMIT,
  KEYPORT_HOST, KEYPORT_PORT, KEYPORT_SEED_DEMO, DATABASE_URL, KEYPORT_DATABASE_POOL_SIZE, KEYPORT_ARTIFACTS_DIR,
  KEYPORT_COMPONENT_MATCH, KEYPORT_CLONE_POLICY, KEYPORT_TRUST_PROXY=1 (an empty variable counts as unset, as in an environment file)`;

/** An environment variable, with empty meaning unset (systemd environment files write \`NAME=\`). */
function env(name: string): string | undefined {
  return process.env[name] || undefined;
}

/**
 * The installed package ships the demo programs already bundled (no esbuild at run time),
 * in demo-programs/ beside the provider's bundle; a checkout bundles them from source.
 */
function prebuiltDemoPrograms(): string | undefined {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'demo-programs');
  return existsSync(dir) ? dir : undefined;
}

const MiB = 1024 * 1024;

/** Upload and expansion limits for releases, from flags or the environment. */
function releaseLimits(
  values: Record<string, string | boolean | undefined>,
  wholeNumber: (name: string, value: string | undefined, fallback: number) => number,
): Pick<ProviderSettings, 'maxReleaseBytes' | 'archiveLimits'> {
  const read = (flag: string, variable: string, fallback: number) =>
    wholeNumber(`--${flag}`, (values[flag] as string | undefined) ?? env(variable), fallback);
  const defaults = DEFAULT_SETTINGS.archiveLimits;
  return {
    maxReleaseBytes:
      read('max-release-mib', 'KEYPORT_MAX_RELEASE_MIB', DEFAULT_SETTINGS.maxReleaseBytes / MiB) * MiB,
    archiveLimits: {
      maxExpandedBytes:
        read('max-expanded-mib', 'KEYPORT_MAX_EXPANDED_MIB', defaults.maxExpandedBytes / MiB) * MiB,
      maxEntryBytes: read('max-entry-mib', 'KEYPORT_MAX_ENTRY_MIB', defaults.maxEntryBytes / MiB) * MiB,
      maxEntries: read('max-entries', 'KEYPORT_MAX_ENTRIES', defaults.maxEntries),
    },
  };
}

/** One of `allowed`, from a flag or its environment variable, or the default. */
function choice<const T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
  fail: (message: string) => never,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value))
    fail(`${name} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value as T;
}

/** The PostgreSQL URL if one is given; SQLite (undefined) otherwise. */
function databaseUrl(value: string | undefined, fail: (message: string) => never): string | undefined {
  const url = value ?? env('DATABASE_URL');
  if (url !== undefined && !isPostgresUrl(url))
    fail('--database-url (or DATABASE_URL) must start with postgres:// or postgresql://');
  return url;
}

async function main(): Promise<void> {
  const cli = readCommandLine('keyport server', USAGE, {
    port: { type: 'string' },
    host: { type: 'string' },
    data: { type: 'string', default: './data' },
    'database-url': { type: 'string' },
    artifacts: { type: 'string' },
    'seed-demo': { type: 'boolean', default: false },
    'device-limit': { type: 'string' },
    issuer: { type: 'string' },
    'component-match': { type: 'string' },
    'clone-policy': { type: 'string' },
    'max-release-mib': { type: 'string' },
    'max-expanded-mib': { type: 'string' },
    'max-entry-mib': { type: 'string' },
    'max-entries': { type: 'string' },
    'rotate-license-key': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (!cli) return;
  const { values, fail, wholeNumber } = cli;
  // Port 0 asks the system for a free port (the address is printed below).
  const port = wholeNumber('--port', values.port ?? env('KEYPORT_PORT') ?? env('PORT'), 8787, 0);
  const host = values.host ?? env('KEYPORT_HOST') ?? '127.0.0.1';
  const dataDir = path.resolve(values.data);
  const artifacts = values.artifacts ?? env('KEYPORT_ARTIFACTS_DIR');
  const seed = values['seed-demo'] || env('KEYPORT_SEED_DEMO') === '1';
  const app = await buildApp({
    dataDir,
    databaseUrl: databaseUrl(values['database-url'], fail),
    artifactsDir: artifacts ? path.resolve(artifacts) : undefined,
    rotateLicenseKey: values['rotate-license-key'],
    settings: {
      deviceLimit: wholeNumber('--device-limit', values['device-limit'] ?? env('KEYPORT_DEVICE_LIMIT'), 5),
      ...(values.issuer ? { issuer: values.issuer } : {}),
      componentMatch: choice(
        '--component-match (or KEYPORT_COMPONENT_MATCH)',
        values['component-match'] ?? env('KEYPORT_COMPONENT_MATCH'),
        COMPONENT_MATCH_RULES,
        DEFAULT_SETTINGS.componentMatch,
        fail,
      ),
      clonePolicy: choice(
        '--clone-policy (or KEYPORT_CLONE_POLICY)',
        values['clone-policy'] ?? env('KEYPORT_CLONE_POLICY'),
        CLONE_POLICIES,
        DEFAULT_SETTINGS.clonePolicy,
        fail,
      ),
      ...releaseLimits(values, wholeNumber),
      rateLimits: { enabled: process.env.KEYPORT_RATE_LIMITS !== 'off' },
    },
  });
  if (seed) {
    await seedDemo(app.keyport, { prebuiltProgramsDir: prebuiltDemoPrograms() });
    app.log.info({ email: DEMO_ACCOUNT.email }, 'demo account and catalog ready');
  }
  const address = await app.listen({ port, host });
  console.log(`\nKeyport provider listening on ${address}`);
  console.log(`  API docs:     ${address}/docs`);
  console.log(`  data:         ${dataDir}`);
  console.log(`  database:     ${app.keyport.registry.describe}`);
  console.log(`  admin token:  ${app.adminTokenLocation}`);
  if (seed) console.log(`  demo login:   ${DEMO_ACCOUNT.email} / ${DEMO_ACCOUNT.password}`);
  onStopSignal(() => void app.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(`keyport server failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
