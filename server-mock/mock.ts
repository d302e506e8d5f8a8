/**
 * The mock provider: registry, license keys, faults, clock and the MSW handlers over
 * them, plus helpers for tests (`publish`, `seedDemo`). Use `mock.handlers` with MSW's
 * `setupServer`, or `startMockServer` (server.ts) for a real HTTP server.
 */
import { randomBytes } from 'node:crypto';
import type { HttpHandler } from 'msw';
import { CreateSoftwareBody, type Release } from '../shared/api.ts';
import { simulatedDeviceId } from '../shared/device-id.ts';
import { packFiles } from '../server/seed/package-builder.ts';
import { MockFaults } from './faults.ts';
import { createMockHandlers } from './handlers.ts';
import { MockLicenseKeys, type PublicJwks } from './license-keys.ts';
import { sha256Hex } from './packages.ts';
import { DEFAULT_MOCK_SETTINGS, MockRegistry, type MockSettings } from './state.ts';

export interface MockClock {
  now(): Date;
  /** Move the mock's time forward (sessions, transaction IDs and leases follow it). */
  advance(ms: number): void;
}

export interface KeyportMockOptions {
  /** Admin bearer token; defaults to KEYPORT_ADMIN_TOKEN, else a random one. */
  adminToken?: string;
  settings?: Partial<MockSettings>;
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
  readonly settings: MockSettings;
  readonly registry: MockRegistry;
  readonly faults: MockFaults;
  readonly keys: MockLicenseKeys;
  readonly clock: MockClock;
  readonly handlers: HttpHandler[];
  /** The public keys that verify this mock's license keys (what /v1/licenses/jwks serves). */
  jwks(): PublicJwks;
  /** Create the software if it is new and publish a release of it (a real .tar.gz). */
  publish(options: PublishOptions): Promise<PublishedRelease>;
  /** The demo account, its second device and the demo programs, bundling this mock's JWKS. */
  seedDemo(): Promise<DemoSeed>;
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
  const settings: MockSettings = { ...DEFAULT_MOCK_SETTINGS, ...options.settings };
  const base = options.now ?? (() => new Date());
  let offsetMs = 0;
  const clock: MockClock = {
    now: () => new Date(base().getTime() + offsetMs),
    advance: (ms) => {
      offsetMs += ms;
    },
  };
  const keys = await MockLicenseKeys.generate();
  const faults = new MockFaults();
  const registry = new MockRegistry(settings, keys, clock.now);
  const handlers = createMockHandlers({
    registry,
    faults,
    keys,
    adminTokenHash: sha256Hex(adminToken),
    baseUrl: (options.baseUrl ?? '*').replace(/\/+$/, ''),
  });

  async function publish(input: PublishOptions): Promise<PublishedRelease> {
    if (!registry.hasSoftware(input.softwareId)) {
      registry.createSoftware(
        CreateSoftwareBody.parse({
          softwareId: input.softwareId,
          name: input.name ?? input.softwareId,
          summary: input.summary ?? `Summary of ${input.softwareId}`,
          priceCents: input.priceCents ?? 999,
          currency: input.currency ?? 'USD',
        }),
      );
    }
    const archive = input.archive ?? (await minimalPackage(input.version, input.files, input.name));
    const release = await registry.publishRelease(input.softwareId, archive);
    return { softwareId: input.softwareId, release, archive };
  }

  async function seedDemo(): Promise<DemoSeed> {
    // Loaded only here: the demo constants live beside the provider's seeding code.
    const { DEMO_ACCOUNT, DEMO_CATALOG, DEMO_SECOND_DEVICE, demoProgramSource } =
      await import('../server/seed/demo.ts');
    const { buildProgramPackage } = await import('../server/seed/package-builder.ts');
    const secondDeviceId = simulatedDeviceId(DEMO_SECOND_DEVICE.simulate);
    registry.provision({
      ...DEMO_ACCOUNT,
      devices: [
        { deviceId: secondDeviceId, name: DEMO_SECOND_DEVICE.name, platform: DEMO_SECOND_DEVICE.platform },
      ],
    });
    for (const program of DEMO_CATALOG) {
      if (registry.newestRelease(program.softwareId)?.version === program.version) continue;
      const archive = await buildProgramPackage({
        softwareId: program.softwareId,
        name: program.name,
        version: program.version,
        source: demoProgramSource(program.softwareId),
        // The programs verify their license offline against the JWKS they ship with: the mock's.
        jwks: keys.jwks,
      });
      await publish({ ...program, currency: 'USD', archive });
    }
    return {
      email: DEMO_ACCOUNT.email,
      password: DEMO_ACCOUNT.password,
      secondDeviceId,
      softwareIds: DEMO_CATALOG.map((program) => program.softwareId),
    };
  }

  const mock: KeyportMock = {
    adminToken,
    settings,
    registry,
    faults,
    keys,
    clock,
    handlers,
    jwks: () => keys.jwks,
    publish,
    seedDemo,
  };
  if (options.seedDemo) await seedDemo();
  return mock;
}
