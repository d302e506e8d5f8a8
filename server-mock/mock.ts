/**
 * The mock provider: the real provider (`buildApp()` on a throwaway SQLite folder, with
 * the mock's own clock) behind a layer of switchable faults, as MSW handlers. Use
 * `mock.handlers` with MSW's `setupServer`, or `startMockServer` (server.ts) for a real
 * HTTP server. `close()` stops the provider and removes its folder.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { HttpHandler } from 'msw';
import type { Release } from '../shared/provider-api/schemas.ts';
import { simulatedDeviceId } from '../shared/license/device-id.ts';
import { buildApp, type ProviderApp, type SettingsOverrides } from '../server/app.ts';
import { DEMO_ACCOUNT, DEMO_CATALOG, DEMO_SECOND_DEVICE, seedDemo } from '../server/seed/demo.ts';
import { packFiles } from '../server/seed/package-builder.ts';
import { MockFaults } from './faults.ts';
import { createMockHandlers } from './handlers.ts';

export interface MockClock {
  now(): Date;
  /** Move the mock's time forward (sessions, transaction IDs and leases follow it). */
  advance(ms: number): void;
}

export interface KeyportMockOptions {
  /** Admin bearer token; defaults to KEYPORT_ADMIN_TOKEN, else a random one. */
  adminToken?: string;
  /** The provider's settings (device limit, lease, TTLs …); rate limits are always off. */
  settings?: Omit<SettingsOverrides, 'rateLimits'>;
  /** Base clock (default: the system clock); `mock.clock.advance` moves on from it. */
  now?: () => Date;
  /**
   * Where the handlers answer: an origin such as `http://127.0.0.1:8788` for use next to
   * other MSW handlers, or `*` (default) for any origin.
   */
  baseUrl?: string;
  /** Add the demo account, its second device and the demo catalog (as `--seed-demo`). */
  seedDemo?: boolean;
}

export interface PublishOptions {
  softwareId: string;
  name?: string;
  summary?: string;
  priceCents?: number;
  currency?: string;
  /** Version in the generated keyport.json (default 1.0.0); ignored with `archive`. */
  version?: string;
  /** Extra files for the generated package, beside keyport.json and main.mjs. */
  files?: Record<string, string | Buffer>;
  /** A ready-made `.tar.gz` to publish instead of a generated one. */
  archive?: Buffer;
}

export interface PublishedRelease {
  softwareId: string;
  release: Release;
  archive: Buffer;
}

export interface DemoSeed {
  email: string;
  password: string;
  /** The device ID of `--simulate-device old-laptop`, registered to the demo account. */
  secondDeviceId: string;
  softwareIds: string[];
}

export interface KeyportMock {
  readonly adminToken: string;
  readonly faults: MockFaults;
  readonly clock: MockClock;
  readonly handlers: HttpHandler[];
  /** The provider behind the faults (for a test that needs to look inside). */
  readonly app: ProviderApp;
  /** Create the software if it is new and publish a release of it (a real .tar.gz). */
  publish(options: PublishOptions): Promise<PublishedRelease>;
  /** The demo account, its second device and the demo programs, as `--seed-demo` makes them. */
  seedDemo(): Promise<DemoSeed>;
  close(): Promise<void>;
}

/** A minimal valid package: keyport.json naming main.mjs, and main.mjs. */
export function minimalPackage(
  version = '1.0.0',
  files: Record<string, string | Buffer> = {},
  name?: string,
): Promise<Buffer> {
  return packFiles({
    'keyport.json': JSON.stringify({ ...(name ? { name } : {}), version, entry: 'main.mjs' }),
    'main.mjs': `console.log('hello from ${version}');\n`,
    ...files,
  });
}

export async function createKeyportMock(options: KeyportMockOptions = {}): Promise<KeyportMock> {
  const adminToken =
    options.adminToken ??
    (process.env.KEYPORT_ADMIN_TOKEN || `kpa_mock_${randomBytes(24).toString('base64url')}`);
  const base = options.now ?? (() => new Date());
  let offsetMs = 0;
  // Set while a redeem runs under the expire fault: the provider sees that moment as late.
  let lateMs = 0;
  const clock: MockClock = {
    now: () => new Date(base().getTime() + offsetMs),
    advance: (ms) => {
      offsetMs += ms;
    },
  };
  const dataDir = await mkdtemp(path.join(tmpdir(), 'keyport-mock-'));
  const app = await buildApp({
    dataDir,
    adminToken,
    logger: false,
    now: () => new Date(clock.now().getTime() + lateMs),
    // Tests make many accounts from one address; the limits are the provider's own tests' business.
    settings: { ...options.settings, rateLimits: { enabled: false } },
  });
  const faults = new MockFaults();
  const handlers = createMockHandlers({
    app,
    faults,
    baseUrl: (options.baseUrl ?? '*').replace(/\/+$/, ''),
    async redeemLate(redeem) {
      lateMs = (app.keyport.settings.transactionTtlSeconds + 1) * 1000;
      try {
        return await redeem();
      } finally {
        lateMs = 0;
      }
    },
  });

  const admin = (method: 'POST', url: string, payload: unknown, contentType = 'application/json') =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': contentType },
      payload: payload as Buffer,
    });

  async function publish(input: PublishOptions): Promise<PublishedRelease> {
    const created = await admin('POST', '/v1/admin/software', {
      softwareId: input.softwareId,
      name: input.name ?? input.softwareId,
      summary: input.summary ?? `Summary of ${input.softwareId}`,
      priceCents: input.priceCents ?? 999,
      currency: input.currency ?? 'USD',
    });
    if (created.statusCode !== 201 && created.json().code !== 'ALREADY_EXISTS')
      throw new Error(`the mock could not create ${input.softwareId}: ${created.body}`);
    const archive = input.archive ?? (await minimalPackage(input.version, input.files, input.name));
    const published = await admin(
      'POST',
      `/v1/admin/software/${encodeURIComponent(input.softwareId)}/releases`,
      archive,
      'application/gzip',
    );
    if (published.statusCode !== 201)
      throw new Error(`the mock could not publish ${input.softwareId}: ${published.body}`);
    return { softwareId: input.softwareId, release: published.json().release as Release, archive };
  }

  async function seed(): Promise<DemoSeed> {
    await seedDemo(app.keyport);
    return {
      email: DEMO_ACCOUNT.email,
      password: DEMO_ACCOUNT.password,
      secondDeviceId: simulatedDeviceId(DEMO_SECOND_DEVICE.simulate),
      softwareIds: DEMO_CATALOG.map((program) => program.softwareId),
    };
  }

  const mock: KeyportMock = {
    adminToken,
    faults,
    clock,
    handlers,
    app,
    publish,
    seedDemo: seed,
    async close() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  if (options.seedDemo) await seed();
  return mock;
}
