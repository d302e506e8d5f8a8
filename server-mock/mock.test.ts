/**
 * What the mock offers beyond answering like the provider: license keys that really
 * verify against its JWKS, `mock.publish` for tests, real `.tar.gz` packages, and the
 * demo seed whose programs run and check the mock's licenses themselves.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeProtectedHeader } from 'jose';
import { list } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedDeviceId } from '../shared/device-id.ts';
import { LICENSE_TYPE, LicenseInvalidError, verifyLicense } from '../shared/license.ts';
import { MockProblem } from './problem.ts';
import { startMockServer, type RunningMockServer } from './server.ts';
import { buyer, call, randomDeviceId } from './test-support.ts';

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
    expect(jwks).toEqual(server.mock.jwks());
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

  it('keep verifying after a key rotation, and new ones carry the new kid', async () => {
    const { token, deviceId } = await buyer(server.url, 'licensed-app');
    const refresh = async () =>
      (
        await call(server.url, 'POST', '/v1/licenses/refresh', {
          token,
          body: { softwareId: 'licensed-app', deviceId },
        })
      ).body.licenseKey as string;
    const old = await refresh();
    const kid = await server.mock.keys.rotate();
    const fresh = await refresh();
    const jwks = (await call(server.url, 'GET', '/v1/licenses/jwks')).body;
    expect(jwks.keys).toHaveLength(2);
    await verifyLicense(old, jwks);
    await verifyLicense(fresh, jwks);
    expect(decodeProtectedHeader(fresh).kid).toBe(kid);
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

  it('refuses what the provider refuses, with the same problem', async () => {
    const refusal = server.mock.publish({ softwareId: 'broken', archive: Buffer.from('not a package') });
    await expect(refusal).rejects.toBeInstanceOf(MockProblem);
    await expect(refusal).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(server.mock.publish({ softwareId: 'paint-pro', version: '1.0.0' })).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
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
