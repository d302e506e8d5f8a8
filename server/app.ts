/**
 * buildApp: the provider as a Fastify instance, one plugin per domain. Tests call it
 * in-process (and listen on port 0 for real HTTP); `server/main.ts` calls it for
 * `npm run server`.
 */
import { mkdir } from 'node:fs/promises';
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
import { openPostgres, openSqlite, type RegistryDb } from './db/database.ts';
import { fileAdminToken, sharedAdminToken, type AdminToken } from './lib/admin-token.ts';
import { ArtifactStore } from './lib/artifacts.ts';
import { LicenseSigner } from './lib/license-signer.ts';
import {
  clientErrorHandler,
  frameworkErrorHandler,
  installProblemHandlers,
  installRawRefusals,
} from './lib/problem.ts';
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
  /** An already-open database (PostgreSQL, or a shared SQLite in tests); the caller closes it. */
  registry?: RegistryDb;
  /** `postgres://…`: open PostgreSQL instead of the SQLite file under dataDir. */
  databaseUrl?: string;
  /**
   * Where release packages are kept (default `<dataDir>/artifacts`). Instances behind
   * one load balancer point this at one shared folder.
   */
  artifactsDir?: string;
  /**
   * Admin token; defaults to KEYPORT_ADMIN_TOKEN, else one generated once — under
   * dataDir (SQLite), or by the first instance and shared through the database.
   */
  adminToken?: string;
  settings?: SettingsOverrides;
  /** Pino logger options (secret redaction is always added), `false` to silence. */
  logger?: false | PinoOptions;
  /** Clock, for tests of expiry. */
  now?: () => Date;
  rotateLicenseKey?: boolean;
  /** PostgreSQL: how often shared signing keys are re-read (default 30 s). */
  licenseKeyReloadMs?: number;
}

export type SettingsOverrides = Partial<Omit<ProviderSettings, 'rateLimits'>> & {
  rateLimits?: Partial<ProviderSettings['rateLimits']>;
};

export type ProviderApp = FastifyInstance & {
  keyport: ProviderContext;
  /** Where an operator finds the admin token (never the token itself). */
  adminTokenLocation: string;
};

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

/**
 * Signing keys and the admin token live where every instance sees them: in files
 * under dataDir for SQLite (one machine), in the database for PostgreSQL (any number
 * of instances on one database).
 */
async function openSecrets(
  registry: RegistryDb,
  options: BuildOptions,
): Promise<{ signer: LicenseSigner; adminToken: AdminToken }> {
  const rotate = options.rotateLicenseKey;
  if (registry.dialect === 'postgres') {
    return {
      signer: await LicenseSigner.openShared(registry.db, {
        rotate,
        reloadEveryMs: options.licenseKeyReloadMs,
      }),
      adminToken: await sharedAdminToken(registry.db, options.dataDir, options.adminToken),
    };
  }
  return {
    signer: await LicenseSigner.open(path.join(options.dataDir, 'keys'), { rotate }),
    adminToken: await fileAdminToken(options.dataDir, options.adminToken),
  };
}

type PinoOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>;

/** Whatever logger a caller asks for, secrets are redacted from it. */
function withRedaction(logger: PinoOptions | undefined): PinoOptions {
  return {
    level: process.env.LOG_LEVEL ?? 'info',
    ...logger,
    redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
  };
}

export async function buildApp(options: BuildOptions): Promise<ProviderApp> {
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const settings: ProviderSettings = {
    ...DEFAULT_SETTINGS,
    ...options.settings,
    rateLimits: { ...DEFAULT_SETTINGS.rateLimits, ...options.settings?.rateLimits },
  };
  const now = options.now ?? (() => new Date());
  // The pool may report a dropped idle connection before the logger exists.
  let logIdleConnectionError = (error: Error) => console.error(`database connection lost: ${error.message}`);
  const registry =
    options.registry ??
    (options.databaseUrl
      ? await openPostgres(options.databaseUrl, { onIdleConnectionError: (e) => logIdleConnectionError(e) })
      : await openSqlite(path.join(options.dataDir, 'keyport.sqlite')));
  let secrets: Awaited<ReturnType<typeof openSecrets>>;
  try {
    secrets = await openSecrets(registry, options);
  } catch (error) {
    if (!options.registry) await registry.close();
    throw error;
  }
  const ctx: ProviderContext = {
    registry,
    signer: secrets.signer,
    artifacts: new ArtifactStore(options.artifactsDir ?? path.join(options.dataDir, 'artifacts')),
    settings,
    rateLimiter: new RateLimiter(registry, settings.rateLimits.enabled, now),
    adminTokenHash: secrets.adminToken.sha256,
    now,
  };

  const app = Fastify({
    logger: options.logger === false ? false : withRedaction(options.logger),
    bodyLimit: 64 * 1024,
    trustProxy: process.env.KEYPORT_TRUST_PROXY === '1',
    // Request IDs in logs; never the query string's secrets (there are none by design).
    genReqId: () => newSecret('req').slice(0, 16),
    // Every answer is problem+json, also to requests Fastify's or Node's own code refuses:
    // router errors, unparseable requests, a missing Host, requests during shutdown
    // (server/lib/problem.ts).
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    http: { requireHostHeader: false },
    return503OnClosing: false,
  }).withTypeProvider<ZodTypeProvider>();
  installRawRefusals(app.server);
  // Code and message only: pg attaches the whole client (connection parameters) to the error.
  logIdleConnectionError = (error) =>
    app.log.warn(
      { code: (error as { code?: string }).code, reason: error.message },
      'database connection lost; the pool reconnects on the next query',
    );

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
    transform: (input) => {
      const transformed = jsonSchemaTransform(input);
      // The release upload's body is raw bytes, which no zod schema describes.
      if (input.url === '/v1/admin/software/:softwareId/releases') {
        transformed.schema = {
          ...transformed.schema,
          body: { type: 'string', format: 'binary', description: 'the .tar.gz package' },
        };
      }
      return transformed;
    },
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
    secrets.signer.close();
    if (!options.registry) await registry.close();
  });
  return Object.assign(app, {
    keyport: ctx,
    adminTokenLocation: secrets.adminToken.location,
  }) as unknown as ProviderApp;
}
