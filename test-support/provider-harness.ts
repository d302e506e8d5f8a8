/**
 * Test harness: a real provider built in-process by buildApp and listening on a real
 * loopback port, with a fresh data folder and a controllable clock. Tests talk to it
 * over HTTP with `fetch`, exactly like the app does.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { COMPONENT_NAMES, type DeviceComponents } from '../shared/provider-api/schemas.ts';
import { buildApp, type ProviderApp, type SettingsOverrides } from '../server/app.ts';
import { packFiles } from '../server/seed/package-builder.ts';
import { openTestRegistry } from './test-database.ts';

export interface TestClock {
  now(): Date;
  advance(ms: number): void;
}

export function testClock(start = Date.now()): TestClock {
  let current = start;
  return { now: () => new Date(current), advance: (ms) => (current += ms) };
}

// Response bodies default to `any` on purpose: tests read fields of whatever JSON came back.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestProvider {
  url: string;
  app: ProviderApp;
  adminToken: string;
  dataDir: string;
  clock: TestClock;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  api<T = any>(method: string, route: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Sent as-is instead of JSON (for malformed-body tests and package uploads). */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

export async function startProvider(
  options: {
    settings?: SettingsOverrides;
    logStream?: NodeJS.WritableStream;
    /** PostgreSQL only: the pool's size (default 8). */
    poolSize?: number;
    licenseKeyReloadMs?: number;
  } = {},
): Promise<TestProvider> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'keyport-test-'));
  const clock = testClock();
  const adminToken = `kpa_test_${randomBytes(16).toString('hex')}`;
  const registry = await openTestRegistry(dataDir, { poolSize: options.poolSize });
  const app = await buildApp({
    dataDir,
    registry,
    adminToken,
    now: clock.now,
    settings: options.settings,
    licenseKeyReloadMs: options.licenseKeyReloadMs,
    logger: options.logStream ? { level: 'trace', stream: options.logStream } : false,
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });

  async function api<T>(
    method: string,
    route: string,
    request: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...request.headers };
    if (request.token) headers.authorization = `Bearer ${request.token}`;
    let body: string | Buffer | undefined;
    if (request.rawBody !== undefined) body = request.rawBody;
    else if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${url}${route}`, { method, headers, body });
    const type = response.headers.get('content-type') ?? '';
    const parsed = type.includes('json') ? await response.json() : Buffer.from(await response.arrayBuffer());
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  return {
    url,
    app,
    adminToken,
    dataDir,
    clock,
    api,
    async close() {
      await app.close();
      await registry.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A random device ID (what the app would compute from hardware). */
export function randomDeviceId(): string {
  return randomBytes(32).toString('hex');
}

let users = 0;
export async function createUser(provider: TestProvider, name = `user${++users}`) {
  const email = `${name}-${randomBytes(4).toString('hex')}@example.test`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const response = await provider.api('POST', '/v1/accounts', {
    body: { email, password, displayName: name },
  });
  if (response.status !== 201)
    throw new Error(`createUser: ${response.status} ${JSON.stringify(response.body)}`);
  return { email, password, token: response.body.token as string, user: response.body.user };
}

export async function enrol(provider: TestProvider, token: string, name = 'Laptop'): Promise<string> {
  const deviceId = randomDeviceId();
  const response = await provider.api('POST', '/v1/devices', {
    token,
    body: { deviceId, name, platform: 'linux' },
  });
  if (response.status !== 201) throw new Error(`enrol: ${response.status} ${JSON.stringify(response.body)}`);
  return deviceId;
}

/** 64 hex characters derived from `label`: a stand-in for an HMAC or an installation ID. */
export function hexOf(label: string): string {
  return createHash('sha256').update(label).digest('hex');
}

/** What the app would report for the machine `machine`: every component, each its own HMAC. */
export function machineComponents(machine: string): DeviceComponents {
  return Object.fromEntries(COMPONENT_NAMES.map((name) => [name, hexOf(`${machine}:${name}`)]));
}

/** `components` with the named ones read anew (a swapped disk, a new network card …). */
export function withChanged(components: DeviceComponents, ...names: Array<keyof DeviceComponents>) {
  const changed = { ...components };
  for (const name of names) changed[name] = hexOf(`changed:${name}:${randomBytes(4).toString('hex')}`);
  return changed;
}

/**
 * Enrol a new device reporting `report` (components, installation, the ID's source);
 * returns its ID and the enrolment's answer (`{device, recognisedAs}`).
 */
export async function enrolReporting(
  provider: TestProvider,
  token: string,
  report: { name?: string; components?: DeviceComponents; installationId?: string; idSource?: string },
) {
  const deviceId = randomDeviceId();
  const { name = 'Laptop', ...rest } = report;
  const response = await provider.api('POST', '/v1/devices', {
    token,
    body: { deviceId, name, platform: 'linux', ...rest },
  });
  if (response.status !== 201) throw new Error(`enrol: ${response.status} ${JSON.stringify(response.body)}`);
  return { deviceId, body: response.body };
}

/** A minimal valid package: a manifest and an entry script. */
export function smallPackage(version = '1.0.0', extra: Record<string, string> = {}): Promise<Buffer> {
  return packFiles({
    'keyport.json': JSON.stringify({ version, entry: 'main.mjs' }),
    'main.mjs': `console.log('hello from ${version}');\n`,
    ...extra,
  });
}

/** Create software and publish one release through the admin API. */
export async function publishSoftware(
  provider: TestProvider,
  softwareId: string,
  options: { priceCents?: number; name?: string; archive?: Buffer } = {},
): Promise<{ sha256: string; archive: Buffer }> {
  const created = await provider.api('POST', '/v1/admin/software', {
    token: provider.adminToken,
    body: {
      softwareId,
      name: options.name ?? softwareId,
      summary: `Summary of ${softwareId}`,
      priceCents: options.priceCents ?? 999,
      currency: 'USD',
    },
  });
  if (created.status !== 201)
    throw new Error(`publishSoftware: ${created.status} ${JSON.stringify(created.body)}`);
  const archive = options.archive ?? (await smallPackage());
  const release = await provider.api('POST', `/v1/admin/software/${softwareId}/releases`, {
    token: provider.adminToken,
    rawBody: archive,
    headers: { 'content-type': 'application/gzip' },
  });
  if (release.status !== 201)
    throw new Error(`publishRelease: ${release.status} ${JSON.stringify(release.body)}`);
  return { sha256: release.body.release.sha256, archive };
}

/** Buy, then request and redeem a license; returns the license response body. */
export async function buyAndLicense(
  provider: TestProvider,
  token: string,
  softwareId: string,
  deviceId: string,
) {
  const purchase = await provider.api('POST', '/v1/purchases', { token, body: { softwareId, deviceId } });
  if (purchase.status !== 201)
    throw new Error(`purchase: ${purchase.status} ${JSON.stringify(purchase.body)}`);
  return license(provider, token, softwareId, deviceId);
}

export async function license(provider: TestProvider, token: string, softwareId: string, deviceId: string) {
  const requested = await provider.api('POST', '/v1/licenses/requests', {
    token,
    body: { softwareId, deviceId },
  });
  if (requested.status !== 201)
    throw new Error(`license request: ${requested.status} ${JSON.stringify(requested.body)}`);
  const redeemed = await provider.api('POST', '/v1/licenses/redeem', {
    token,
    body: { transactionId: requested.body.transactionId, deviceId },
  });
  if (redeemed.status !== 200) throw new Error(`redeem: ${redeemed.status} ${JSON.stringify(redeemed.body)}`);
  return redeemed.body as { licenseKey: string; claims: Record<string, unknown> };
}
