/**
 * `npm run server -- --port 8787 --host 127.0.0.1 --data ./data [--seed-demo]`
 * Starts the provider. Prints where it listens, where the docs are, and where the
 * admin token is kept (never the token itself).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp } from './app.ts';
import { DEMO_ACCOUNT, seedDemo } from './seed/demo.ts';

const USAGE = `Usage: npm run server -- [options]
  --port N               port to listen on (default 8787, or PORT)
  --host H               address to bind (default 127.0.0.1)
  --data DIR             data folder: database, packages, keys, admin token (default ./data)
  --seed-demo            add the demo account, its second device and the demo catalog
  --device-limit N       devices per user (default 5, or KEYPORT_DEVICE_LIMIT)
  --issuer NAME          "iss" of license keys (default keyport)
  --rotate-license-key   add a new license-signing key and sign with it from now on
  --help                 this text
Environment: KEYPORT_ADMIN_TOKEN, KEYPORT_RATE_LIMITS=off, LOG_LEVEL, KEYPORT_DEVICE_LIMIT`;

function fail(message: string): never {
  console.error(`keyport server: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1)
    fail(`${name} must be a positive whole number, not "${value}"`);
  return number;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        data: { type: 'string', default: './data' },
        'seed-demo': { type: 'boolean', default: false },
        'device-limit': { type: 'string' },
        issuer: { type: 'string' },
        'rotate-license-key': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = positiveInteger('--port', values.port ?? process.env.PORT, 8787);
  const dataDir = path.resolve(values.data);
  const app = await buildApp({
    dataDir,
    rotateLicenseKey: values['rotate-license-key'],
    settings: {
      deviceLimit: positiveInteger(
        '--device-limit',
        values['device-limit'] ?? process.env.KEYPORT_DEVICE_LIMIT,
        5,
      ),
      ...(values.issuer ? { issuer: values.issuer } : {}),
      rateLimits: { enabled: process.env.KEYPORT_RATE_LIMITS !== 'off' },
    },
  });
  if (values['seed-demo']) {
    await seedDemo(app.keyport);
    app.log.info({ email: DEMO_ACCOUNT.email }, 'demo account and catalog ready');
  }
  const address = await app.listen({ port, host: values.host });
  console.log(`\nKeyport provider listening on ${address}`);
  console.log(`  API docs:     ${address}/docs`);
  console.log(`  data:         ${dataDir} (${app.keyport.registry.describe.split(':')[0]})`);
  console.log(
    `  admin token:  ${process.env.KEYPORT_ADMIN_TOKEN ? 'from KEYPORT_ADMIN_TOKEN' : path.join(dataDir, 'admin-token')}`,
  );
  if (values['seed-demo']) console.log(`  demo login:   ${DEMO_ACCOUNT.email} / ${DEMO_ACCOUNT.password}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void app.close().then(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  console.error(`keyport server failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
