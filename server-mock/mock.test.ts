/**
 * The mock is the provider behind faults: with no fault switched on it answers as the
 * provider does (one scripted walk through the API against both); its clock moves the
 * provider's time; `mock.publish` makes real `.tar.gz` packages; the demo seed's programs
 * run and check the mock's licenses themselves.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeProtectedHeader } from 'jose';
import { list } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedDeviceId } from '../shared/license/device-id.ts';
import { LICENSE_TYPE, LicenseInvalidError, verifyLicense } from '../shared/license/license.ts';
import {
  machineComponents,
  startProvider,
  withChanged,
  type TestProvider,
} from '../test-support/provider-harness.ts';
import { minimalPackage } from './mock.ts';
import { startMockServer, type RunningMockServer } from './server.ts';
import { buyer, call, randomDeviceId } from '../test-support/http-calls.ts';

const run = promisify(execFile);

/** The paths inside a .tar.gz. */
async function entriesOf(archive: Buffer): Promise<string[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'keyport-mock-list-'));
  try {
    const file = path.join(dir, 'package.tar.gz');
    await writeFile(file, archive);
    const names: string[] = [];
    await list({ file, onReadEntry: (entry) => names.push(entry.path) });
    return names;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('license keys', () => {
  let server: RunningMockServer;
  beforeAll(async () => {
    server = await startMockServer();
    await server.mock.publish({ softwareId: 'licensed-app' });
  });
  afterAll(() => server.close());

  it('are Ed25519 JWS that verifyLicense accepts against the mock’s JWKS, with the provider’s claims', async () => {
    const { token, deviceId } = await buyer(server.url, 'licensed-app');
    const requested = await call(server.url, 'POST', '/v1/licenses/requests', {
      token,
      body: { softwareId: 'licensed-app', deviceId },
    });
    const redeemed = await call(server.url, 'POST', '/v1/licenses/redeem', {
      token,
      body: { transactionId: requested.body.transactionId, deviceId },
    });
    expect(redeemed.status).toBe(200);
    const jwks = (await call(server.url, 'GET', '/v1/licenses/jwks')).body;
    const claims = await verifyLicense(redeemed.body.licenseKey, jwks, {
      softwareId: 'licensed-app',
      deviceId,
      issuer: 'keyport',
    });
    expect(claims).toEqual(redeemed.body.claims);
    expect(Object.keys(claims).sort()).toEqual(['dev', 'exp', 'iat', 'iss', 'jti', 'sub', 'sw', 'usr']);
    expect(claims.exp - claims.iat).toBe(30 * 24 * 3600);
    const registrations = await call(server.url, 'GET', '/v1/registrations', { token });
    expect(claims.sub).toBe(registrations.body.registrations[0].copyId);
    expect(decodeProtectedHeader(redeemed.body.licenseKey)).toEqual({
      alg: 'EdDSA',
      kid: jwks.keys[0].kid,
      typ: LICENSE_TYPE,
    });

    const tampered = `${redeemed.body.licenseKey.slice(0, -4)}AAAA`;
    await expect(verifyLicense(tampered, jwks)).rejects.toBeInstanceOf(LicenseInvalidError);
  });

  it('follow the mock clock: a lease refreshed later starts later', async () => {
    const { token, deviceId } = await buyer(server.url, 'licensed-app');
    const refresh = () =>
      call(server.url, 'POST', '/v1/licenses/refresh', {
        token,
        body: { softwareId: 'licensed-app', deviceId },
      });
    const before = (await refresh()).body.claims;
    server.mock.clock.advance(3600_000);
    const after = (await refresh()).body.claims;
    expect(after.iat - before.iat).toBeGreaterThanOrEqual(3600);
  });
});

describe('mock.publish', () => {
  let server: RunningMockServer;
  beforeAll(async () => {
    server = await startMockServer();
  });
  afterAll(() => server.close());

  it('creates the software and publishes a real .tar.gz with keyport.json at its root', async () => {
    const published = await server.mock.publish({
      softwareId: 'paint-pro',
      name: 'Paint Pro',
      priceCents: 1500,
      files: { 'brushes.txt': 'round\nsquare\n' },
    });
    expect(published.release).toMatchObject({ version: '1.0.0', entry: 'main.mjs' });
    expect((await entriesOf(published.archive)).sort()).toEqual(['brushes.txt', 'keyport.json', 'main.mjs']);
    const detail = await call(server.url, 'GET', '/v1/catalog/paint-pro');
    expect(detail.body.software).toMatchObject({ name: 'Paint Pro', priceCents: 1500, currency: 'USD' });
    expect(detail.body.software.releases[0].sha256).toBe(published.release.sha256);

    // A later version becomes the one listed and served.
    server.mock.clock.advance(1000);
    const second = await server.mock.publish({ softwareId: 'paint-pro', version: '1.1.0' });
    const catalog = await call(server.url, 'GET', '/v1/catalog?q=paint');
    expect(catalog.body.items).toEqual([
      expect.objectContaining({ softwareId: 'paint-pro', version: '1.1.0' }),
    ]);
    const { token, deviceId } = await buyer(server.url, 'paint-pro');
    const download = await call(server.url, 'GET', `/v1/downloads/paint-pro?deviceId=${deviceId}`, { token });
    expect(download.headers.get('x-checksum-sha256')).toBe(second.release.sha256);
  });

  it('refuses what the provider refuses, naming its problem', async () => {
    await expect(
      server.mock.publish({ softwareId: 'broken', archive: Buffer.from('not a package') }),
    ).rejects.toThrow(/"code":"VALIDATION"/);
    await expect(server.mock.publish({ softwareId: 'paint-pro', version: '1.0.0' })).rejects.toThrow(
      /"code":"ALREADY_EXISTS"/,
    );
  });

  it('publishes through the admin API too (admin bearer token)', async () => {
    const created = await call(server.url, 'POST', '/v1/admin/software', {
      token: server.adminToken,
      body: { softwareId: 'via-http', name: 'Via HTTP', summary: '', priceCents: 0, currency: 'EUR' },
    });
    expect(created.status).toBe(201);
    const { archive } = await server.mock.publish({ softwareId: 'scratch', version: '3.0.0' });
    const release = await fetch(`${server.url}/v1/admin/software/via-http/releases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/gzip' },
      body: archive,
    });
    expect(release.status).toBe(201);
    expect((await call(server.url, 'GET', '/v1/catalog/via-http')).body.software.version).toBe('3.0.0');
  });
});

describe('seedDemo', () => {
  let server: RunningMockServer;
  let workDir: string;
  beforeAll(async () => {
    server = await startMockServer({ seedDemo: true });
    workDir = await mkdtemp(path.join(tmpdir(), 'keyport-mock-demo-'));
  });
  afterAll(async () => {
    await server.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('adds the demo account with its second device, and the demo catalog', async () => {
    const signIn = await call(server.url, 'POST', '/v1/sessions', {
      body: { email: 'demo@keyport.local', password: 'keyport-demo' },
    });
    expect(signIn.status).toBe(201);
    const devices = await call(server.url, 'GET', '/v1/devices', { token: signIn.body.token });
    expect(devices.body.devices).toEqual([
      expect.objectContaining({ deviceId: simulatedDeviceId('old-laptop'), name: 'Old laptop' }),
    ]);
    const catalog = await call(server.url, 'GET', '/v1/catalog');
    expect(catalog.body.items.map((item: { softwareId: string }) => item.softwareId).sort()).toEqual([
      'ascii-mandelbrot',
      'keyport-hello',
      'sudoku-solver',
    ]);
    // Seeding twice changes nothing.
    await server.mock.seedDemo();
    expect((await call(server.url, 'GET', '/v1/catalog')).body).toEqual(catalog.body);
  });

  it('ships programs that run with a license from the mock, and refuse without one', async () => {
    const signIn = await call(server.url, 'POST', '/v1/sessions', {
      body: { email: 'demo@keyport.local', password: 'keyport-demo' },
    });
    const token = signIn.body.token as string;
    const deviceId = randomDeviceId();
    await call(server.url, 'POST', '/v1/devices', {
      token,
      body: { deviceId, name: 'This PC', platform: 'linux' },
    });
    expect(
      (
        await call(server.url, 'POST', '/v1/purchases', {
          token,
          body: { softwareId: 'keyport-hello', deviceId },
        })
      ).status,
    ).toBe(201);
    const download = await call(server.url, 'GET', `/v1/downloads/keyport-hello?deviceId=${deviceId}`, {
      token,
    });
    const file = path.join(workDir, 'hello.tar.gz');
    await writeFile(file, download.body as Buffer);
    await run('tar', ['-xzf', file, '-C', workDir]);
    const requested = await call(server.url, 'POST', '/v1/licenses/requests', {
      token,
      body: { softwareId: 'keyport-hello', deviceId },
    });
    const { licenseKey } = (
      await call(server.url, 'POST', '/v1/licenses/redeem', {
        token,
        body: { transactionId: requested.body.transactionId, deviceId },
      })
    ).body;

    const main = path.join(workDir, 'main.mjs');
    const ran = await run(process.execPath, [main], {
      env: { ...process.env, KEYPORT_LICENSE: licenseKey, KEYPORT_DEVICE_ID: deviceId },
    });
    expect(ran.stdout).toContain('Keyport Hello — licensed to');
    const refused = await run(process.execPath, [main], {
      env: { ...process.env, KEYPORT_LICENSE: `${licenseKey.slice(0, -4)}AAAA` },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({ code: 3 });
  });
});

describe('with no fault switched on', () => {
  let provider: TestProvider;
  let server: RunningMockServer;
  beforeAll(async () => {
    [provider, server] = await Promise.all([
      startProvider({ settings: { rateLimits: { enabled: false } } }),
      startMockServer(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([provider.close(), server.close()]);
  });

  /** What a response looks like, values aside: status, type, problem code, the body's shape. */
  function outline(result: { status: number; headers: Headers; body: unknown }) {
    const shape = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.length ? [shape(value[0])] : [];
      if (value && typeof value === 'object' && !Buffer.isBuffer(value))
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
      return Buffer.isBuffer(value) ? 'bytes' : typeof value;
    };
    const body = result.body as { code?: string } | undefined;
    return {
      status: result.status,
      type: result.headers.get('content-type'),
      code: body && typeof body === 'object' && 'code' in body ? body.code : undefined,
      replayed: result.headers.get('idempotent-replayed'),
      shape: shape(result.body),
    };
  }

  /** One walk through the API: sign up, enrol, publish, buy, download, license, move, recover, retire. */
  async function walk(url: string, adminToken: string, archive: Buffer) {
    const seen: Array<ReturnType<typeof outline>> = [];
    const step = async (...args: Parameters<typeof call>) => {
      const result = await call(...args);
      seen.push(outline(result));
      return result;
    };
    const [desk, laptop, rebuilt] = [randomDeviceId(), randomDeviceId(), randomDeviceId()];
    const laptopComponents = machineComponents(`walk-laptop-${laptop}`);
    await step(url, 'GET', '/healthz');
    const account = await step(url, 'POST', '/v1/accounts', {
      body: { email: 'same@walk.test', password: 'a long password', displayName: 'Walker' },
    });
    const token = account.body.token as string;
    await step(url, 'POST', '/v1/accounts', {
      body: { email: 'not an email', password: 'x', displayName: '' },
    });
    await step(url, 'GET', '/v1/me');
    const reports = [
      [desk, machineComponents(`walk-desk-${desk}`)],
      [laptop, laptopComponents],
    ] as const;
    for (const [deviceId, components] of reports)
      await step(url, 'POST', '/v1/devices', {
        token,
        body: { deviceId, name: 'Desk PC', platform: 'linux', components },
      });
    await step(url, 'POST', '/v1/admin/software', {
      token: adminToken,
      body: { softwareId: 'walk-app', name: 'Walk', summary: 'walks', priceCents: 100, currency: 'USD' },
    });
    const published = await fetch(`${url}/v1/admin/software/walk-app/releases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/gzip' },
      body: archive,
    });
    seen.push({
      ...outline({ status: published.status, headers: published.headers, body: await published.json() }),
    });
    await step(url, 'GET', '/v1/catalog');
    const buy = {
      token,
      body: { softwareId: 'walk-app', deviceId: desk },
      headers: { 'idempotency-key': 'walk-purchase-1' },
    };
    await step(url, 'POST', '/v1/purchases', buy);
    await step(url, 'POST', '/v1/purchases', buy);
    await step(url, 'POST', '/v1/purchases', { token, body: { softwareId: 'no-such-app', deviceId: desk } });
    const download = await step(url, 'GET', `/v1/downloads/walk-app?deviceId=${desk}`, { token });
    seen.push({ ...outline(download), shape: download.headers.get('x-checksum-sha256') });
    const requested = await step(url, 'POST', '/v1/licenses/requests', {
      token,
      body: { softwareId: 'walk-app', deviceId: desk },
    });
    const redeem = { token, body: { transactionId: requested.body.transactionId, deviceId: desk } };
    await step(url, 'POST', '/v1/licenses/redeem', redeem);
    await step(url, 'POST', '/v1/licenses/redeem', redeem);
    await step(url, 'POST', '/v1/transfers', {
      token,
      body: { softwareId: 'walk-app', sourceDeviceId: desk, destinationDeviceId: laptop },
    });
    await step(url, 'POST', '/v1/licenses/refresh', {
      token,
      body: { softwareId: 'walk-app', deviceId: desk },
    });
    await step(url, 'GET', '/v1/registrations', { token });
    // The laptop after a disk swap: a new device ID, recognised, and recovered once.
    await step(url, 'POST', '/v1/devices', {
      token,
      body: {
        deviceId: rebuilt,
        name: 'Laptop, new disk',
        platform: 'linux',
        components: withChanged(laptopComponents, 'disk.serial'),
      },
    });
    const recover = { token, body: { fromDeviceId: laptop } };
    await step(url, 'POST', `/v1/devices/${rebuilt}/recover`, recover);
    await step(url, 'POST', `/v1/devices/${rebuilt}/recover`, recover);
    await step(url, 'POST', `/v1/devices/${rebuilt}/recover`, { token, body: { fromDeviceId: desk } });
    await step(url, 'POST', '/v1/licenses/refresh', {
      token,
      body: { softwareId: 'walk-app', deviceId: laptop },
    });
    await step(url, 'GET', '/v1/devices', { token });
    await step(url, 'DELETE', `/v1/devices/${desk}`, { token });
    await step(url, 'GET', '/v1/no-such-route');
    return seen;
  }

  it('answers a walk through the API exactly as the provider does', async () => {
    const archive = await minimalPackage('1.0.0');
    const [fromProvider, fromMock] = await Promise.all([
      walk(provider.url, provider.adminToken, archive),
      walk(server.url, server.adminToken, archive),
    ]);
    expect(fromMock).toEqual(fromProvider);
    // The walk met the cases it is for: errors as problems, a replay, a refused refresh.
    const codes = fromProvider.map((entry) => entry.code).filter(Boolean);
    expect(codes).toEqual(
      expect.arrayContaining([
        'VALIDATION',
        'UNAUTHENTICATED',
        'NOT_FOUND',
        'TRANSACTION_USED',
        'LICENSE_REVOKED',
        'NOT_RECOGNISED',
      ]),
    );
    // The recovery was made once and answered again (201, then 200 with the same shape).
    const recoveries = fromProvider.filter(
      (entry) => typeof entry.shape === 'object' && entry.shape !== null && 'recovery' in entry.shape,
    );
    expect(recoveries.map((entry) => entry.status)).toEqual([201, 200]);
    const recognised = fromProvider.filter(
      (entry) =>
        typeof entry.shape === 'object' &&
        entry.shape !== null &&
        'recognisedAs' in entry.shape &&
        typeof entry.shape.recognisedAs === 'object',
    );
    expect(recognised).toHaveLength(1);
    expect(fromProvider.some((entry) => entry.replayed === 'true')).toBe(true);
  });
});
