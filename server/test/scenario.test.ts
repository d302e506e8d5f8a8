/**
 * The original scenario end to end, over real HTTP: provision a user with two devices,
 * purchase on device 1, download and check the SHA-256, request and redeem a license,
 * verify it against the JWKS, transfer to device 2, device 2 licenses, device 1's
 * refresh and new license requests are refused, and the registered information shows
 * only device 2.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLicense } from '../../shared/license/license.ts';
import {
  license,
  publishSoftware,
  randomDeviceId,
  startProvider,
  type TestProvider,
} from '../../test-support/provider-harness.ts';

describe('original scenario: buy on one device, move it to another', () => {
  let provider: TestProvider;
  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(() => provider.close());

  it('registers, licenses and transfers a copy exactly as the design says', async () => {
    const { api } = provider;
    const device1 = randomDeviceId();
    const device2 = randomDeviceId();
    const published = await publishSoftware(provider, 'photo-studio', { priceCents: 2999 });

    // S1–S3: the retailer registers the user and both device IDs.
    const provisioned = await api('POST', '/v1/admin/provision', {
      token: provider.adminToken,
      body: {
        email: 'ada@example.test',
        displayName: 'Ada',
        password: 'correct horse battery',
        devices: [
          { deviceId: device1, name: 'Desk PC', platform: 'linux' },
          { deviceId: device2, name: 'New laptop', platform: 'linux' },
        ],
      },
    });
    expect(provisioned.status).toBe(201);
    expect(provisioned.body.devices.map((d: { deviceId: string }) => d.deviceId).sort()).toEqual(
      [device1, device2].sort(),
    );

    const session = await api('POST', '/v1/sessions', {
      body: { email: 'ada@example.test', password: 'correct horse battery' },
    });
    expect(session.status).toBe(201);
    const token: string = session.body.token;

    // S31/S21/S22: purchase on device 1.
    const purchase = await api('POST', '/v1/purchases', {
      token,
      body: { softwareId: 'photo-studio', deviceId: device1 },
    });
    expect(purchase.status).toBe(201);
    expect(purchase.body.purchase).toMatchObject({
      softwareId: 'photo-studio',
      deviceId: device1,
      priceCents: 2999,
      currency: 'USD',
    });

    // S32: download and check the SHA-256 against the header and the catalog.
    const download = await api('GET', `/v1/downloads/photo-studio?deviceId=${device1}`, { token });
    expect(download.status).toBe(200);
    const digest = createHash('sha256')
      .update(download.body as Buffer)
      .digest('hex');
    expect(digest).toBe(published.sha256);
    expect(download.headers.get('x-checksum-sha256')).toBe(digest);
    expect(download.headers.get('digest')).toBe(`sha-256=${Buffer.from(digest, 'hex').toString('base64')}`);

    // S33–S37: transaction ID handshake, then verify the key against the JWKS.
    const jwks = (await api('GET', '/v1/licenses/jwks')).body;
    const first = await license(provider, token, 'photo-studio', device1);
    const claims = await verifyLicense(first.licenseKey, jwks, {
      softwareId: 'photo-studio',
      deviceId: device1,
      issuer: 'keyport',
    });
    expect(claims).toMatchObject({
      sw: 'photo-studio',
      dev: device1,
      usr: provisioned.body.user.userId,
      sub: purchase.body.purchase.copyId,
    });
    expect(claims.exp - claims.iat).toBe(30 * 24 * 3600);

    // S81–S97: transfer to device 2 in one step, no new charge.
    const transfer = await api('POST', '/v1/transfers', {
      token,
      body: { softwareId: 'photo-studio', sourceDeviceId: device1, destinationDeviceId: device2 },
    });
    expect(transfer.status).toBe(201);
    expect(transfer.body.transfer).toMatchObject({
      copyId: claims.sub,
      sourceDeviceId: device1,
      destinationDeviceId: device2,
    });

    // Device 2 downloads and licenses it.
    const download2 = await api('GET', `/v1/downloads/photo-studio?deviceId=${device2}`, { token });
    expect(download2.status).toBe(200);
    const second = await license(provider, token, 'photo-studio', device2);
    await expect(verifyLicense(second.licenseKey, jwks, { deviceId: device2 })).resolves.toMatchObject({
      sub: claims.sub,
    });

    // Device 1: refresh refused as revoked, new requests and downloads refused.
    const refresh = await api('POST', '/v1/licenses/refresh', {
      token,
      body: { softwareId: 'photo-studio', deviceId: device1 },
    });
    expect(refresh.status).toBe(403);
    expect(refresh.body.code).toBe('LICENSE_REVOKED');
    expect(refresh.headers.get('content-type')).toContain('application/problem+json');
    const request1 = await api('POST', '/v1/licenses/requests', {
      token,
      body: { softwareId: 'photo-studio', deviceId: device1 },
    });
    expect(request1.status).toBe(403);
    expect(request1.body.code).toBe('NOT_REGISTERED');
    const download1 = await api('GET', `/v1/downloads/photo-studio?deviceId=${device1}`, { token });
    expect(download1.body.code).toBe('NOT_REGISTERED');

    // Device 2 can still refresh its lease.
    const refresh2 = await api('POST', '/v1/licenses/refresh', {
      token,
      body: { softwareId: 'photo-studio', deviceId: device2 },
    });
    expect(refresh2.status).toBe(200);

    // The registered information shows the copy on device 2 only; one charge in all.
    const registrations = await api('GET', '/v1/registrations', { token });
    expect(registrations.body.registrations).toEqual([
      expect.objectContaining({ softwareId: 'photo-studio', deviceId: device2, copyId: claims.sub }),
    ]);
    const events = await api('GET', '/v1/admin/events', { token: provider.adminToken });
    const types = events.body.events.map((e: { type: string }) => e.type);
    expect(types.filter((t: string) => t === 'registration.purchased')).toHaveLength(1);
    expect(types.filter((t: string) => t === 'registration.transferred')).toHaveLength(1);
    const purchases = await provider.app.keyport.registry.db.selectFrom('purchases').selectAll().execute();
    expect(purchases).toHaveLength(1);
  });
});
