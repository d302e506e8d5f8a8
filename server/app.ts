/**
 * buildApp: the provider as a Fastify instance, one plugin per domain. Tests call it
 * in-process (and listen on port 0 for real HTTP); `server/main.ts` calls it for
 * `npm run server`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { DEFAULT_SETTINGS, type ProviderContext, type ProviderSettings } from './context.ts';
import { openSqlite, type RegistryDb } from './db/database.ts';
import { ArtifactStore } from './lib/artifacts.ts';
import { LicenseSigner } from './lib/license-signer.ts';
import { installProblemHandlers } from './lib/problem.ts';
import { RateLimiter } from './lib/rate-limit.ts';
import { newSecret } from './lib/secrets.ts';
import { accountRoutes } from './routes/accounts.ts';
import { adminRoutes } from './routes/admin.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { deviceRoutes } from './routes/devices.ts';
import { downloadRoutes } from './routes/downloads.ts';
import { healthRoutes } from './routes/health.ts';
import { licenseRoutes } from './routes/licenses.ts';
import { purchaseRoutes } from './routes/purchases.ts';
import { transferRoutes } from './routes/transfers.ts';

export interface BuildOptions {
  /** Folder for the SQLite file, artifacts, keys and the generated admin token. */
  dataDir: string;
  /** An already-open database (PostgreSQL, or a shared SQLite in tests). */
  registry?: RegistryDb;
  /** Admin token; defaults to KEYPORT_ADMIN_TOKEN, else one generated under dataDir. */
  adminToken?: string;
  settings?: SettingsOverrides;
  /** Pino logger options, `false` to silence. */
  logger?: FastifyServerOptions['logger'];
  /** Clock, for tests of expiry. */
  now?: () => Date;
  rotateLicenseKey?: boolean;
}

export type SettingsOverrides = Partial<Omit<ProviderSettings, 'rateLimits'>> & {
  rateLimits?: Partial<ProviderSettings['rateLimits']>;
};

export type ProviderApp = FastifyInstance & { keyport: ProviderContext };

/**
 * Never log secrets: bearer tokens, passwords, license keys, transaction IDs. Fastify
 * logs only method/url/status by default; these paths cover anything logged by hand.
 */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.token',
  '*.licenseKey',
  '*.transactionId',
  'password',
  'token',
  'licenseKey',
  'transactionId',
];

export async function resolveAdminToken(dataDir: string, explicit?: string): Promise<string> {
  const configured = explicit ?? process.env.KEYPORT_ADMIN_TOKEN;
  if (configured) return configured;
  const file = path.join(dataDir, 'admin-token');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const token = newSecret('kpa');
    await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' }).catch(async () => undefined);
    return (await readFile(file, 'utf8')).trim();
  }
}

export async function buildApp(options: BuildOptions): Promise<ProviderApp> {
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const settings: ProviderSettings = {
    ...DEFAULT_SETTINGS,
    ...options.settings,
    rateLimits: { ...DEFAULT_SETTINGS.rateLimits, ...options.settings?.rateLimits },
  };
  const now = options.now ?? (() => new Date());
  const registry = options.registry ?? (await openSqlite(path.join(options.dataDir, 'keyport.sqlite')));
  const ctx: ProviderContext = {
    registry,
    signer: await LicenseSigner.open(path.join(options.dataDir, 'keys'), {
      rotate: options.rotateLicenseKey,
    }),
    artifacts: new ArtifactStore(path.join(options.dataDir, 'artifacts')),
    settings,
    rateLimiter: new RateLimiter(registry, settings.rateLimits.enabled, now),
    adminToken: await resolveAdminToken(options.dataDir, options.adminToken),
    now,
  };

  const app = Fastify({
    logger:
      options.logger === undefined
        ? {
            level: process.env.LOG_LEVEL ?? 'info',
            redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
          }
        : options.logger,
    bodyLimit: 64 * 1024,
    trustProxy: process.env.KEYPORT_TRUST_PROXY === '1',
    // Request IDs in logs; never the query string's secrets (there are none by design).
    genReqId: () => newSecret('req').slice(0, 16),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installProblemHandlers(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Keyport provider API',
        version: '1.0.0',
        description:
          'Store, license server and registry database. Errors are RFC 9457 problem+json with a `code`. ' +
          'Sign in with POST /v1/sessions and send `Authorization: Bearer <token>`.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'session token from POST /v1/sessions' },
          adminAuth: { type: 'http', scheme: 'bearer', description: 'admin token (KEYPORT_ADMIN_TOKEN)' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  for (const plugin of [
    healthRoutes,
    accountRoutes,
    deviceRoutes,
    catalogRoutes,
    purchaseRoutes,
    downloadRoutes,
    licenseRoutes,
    transferRoutes,
    adminRoutes,
  ]) {
    await app.register(plugin, { ctx });
  }

  app.addHook('onClose', async () => {
    if (!options.registry) await registry.close();
  });
  return Object.assign(app, { keyport: ctx }) as unknown as ProviderApp;
}
