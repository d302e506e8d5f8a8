/**
 * The license server over real HTTP (DESIGN §2–3): the JWKS, license requests
 * (one-time transaction IDs), redeeming them (once, same user and device, within 10
 * minutes on the test clock) and refreshing a lease — success and every error code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLicense } from '../../shared/license/license.ts';
import { sha256Hex } from '../lib/secrets.ts';
import {
  buyAndLicense,
  createUser,
  enrol,
  license,
  publishSoftware,
  randomDeviceId,
  startProvider,
  type TestProvider,
} from '../../test-support/provider-harness.ts';
import {
  expectProblem,
  expectUnauthenticated,
  expectValidation,
} from '../../test-support/problem-assertions.ts';

const MINUTE = 60_000;
const LEASE_SECONDS = 30 * 24 * 3600;

describe('licenses', () => {
  let provider: TestProvider;
  let jwks: { keys: Array<Record<string, string>> };

  beforeAll(async () => {
    provider = await startProvider();
    for (const softwareId of ['editor', 'player', 'compiler', 'mover', 'refresher', 'expiring']) {
      await publishSoftware(provider, softwareId);
    }
    jwks = (await provider.api('GET', '/v1/licenses/jwks')).body;
  });
  afterAll(() => provider.close());

  /** A user with `count` enrolled devices and `softwareId` bought on the first. */
  async function owner(name: string, softwareId: string, count = 1) {
    const account = await createUser(provider, name);
    const devices: string[] = [];
    for (let i = 0; i < count; i++) devices.push(await enrol(provider, account.token, `Device ${i + 1}`));
    const bought = await provider.api('POST', '/v1/purchases', {
      token: account.token,
      body: { softwareId, deviceId: devices[0] },
    });
    expect(bought.status).toBe(201);
    return { ...account, devices, device: devices[0]!, copyId: bought.body.purchase.copyId as string };
  }

  const requestLicense = (token: string, softwareId: string, deviceId: string) =>
    provider.api('POST', '/v1/licenses/requests', { token, body: { softwareId, deviceId } });
  const redeem = (token: string, transactionId: string, deviceId: string) =>
    provider.api('POST', '/v1/licenses/redeem', { token, body: { transactionId, deviceId } });

  describe('GET /v1/licenses/jwks', () => {
    it('publishes the Ed25519 public signing keys, without a session and without private parts', async () => {
      const response = await provider.api('GET', '/v1/licenses/jwks');
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toContain('max-age=');
      expect(response.body.keys.length).toBeGreaterThanOrEqual(1);
      for (const key of response.body.keys) {
        expect(key).toEqual({
          kty: 'OKP',
          crv: 'Ed25519',
          x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
          kid: expect.any(String),
          alg: 'EdDSA',
          use: 'sig',
        });
        expect(key).not.toHaveProperty('d');
      }
    });

    it('names the provider’s issuer beside the keys, documented in the OpenAPI schema', async () => {
      expect((await provider.api('GET', '/v1/licenses/jwks')).body.issuer).toBe('keyport');
      const docs = (await provider.api('GET', '/docs/json')).body;
      const schema = docs.paths['/v1/licenses/jwks'].get.responses['200'].content['application/json'].schema;
      expect(schema.required).toEqual(expect.arrayContaining(['issuer', 'keys']));
      expect(schema.properties.issuer.description).toMatch(/`iss` of every license key/);

      const renamed = await startProvider({ settings: { issuer: 'evil-issuer' } });
      try {
        expect((await renamed.api('GET', '/v1/licenses/jwks')).body.issuer).toBe('evil-issuer');
      } finally {
        await renamed.close();
      }
    });
  });

  describe('POST /v1/licenses/requests', () => {
    it('gives a one-time transaction ID for a registered triple: 201, expiring in 10 minutes, stored only hashed', async () => {
      const alice = await owner('requester', 'editor');
      const response = await requestLicense(alice.token, 'editor', alice.device);
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        transactionId: expect.stringMatching(/^kpt_[A-Za-z0-9_-]{43}$/),
        expiresAt: new Date(provider.clock.now().getTime() + 10 * MINUTE).toISOString(),
      });
      const rows = await provider.app.keyport.registry.db
        .selectFrom('license_transactions')
        .select('transaction_hash')
        .where('copy_id', '=', alice.copyId)
        .execute();
      expect(rows).toEqual([{ transaction_hash: sha256Hex(response.body.transactionId) }]);
      // Two requests give two different IDs.
      const again = await requestLicense(alice.token, 'editor', alice.device);
      expect(again.body.transactionId).not.toBe(response.body.transactionId);
    });

    it('answers 403 NOT_REGISTERED when the software is not registered to that device', async () => {
      const alice = await owner('not-registered', 'player', 2);
      expectProblem(await requestLicense(alice.token, 'player', alice.devices[1]!), 403, 'NOT_REGISTERED');
      expectProblem(await requestLicense(alice.token, 'editor', alice.device), 403, 'NOT_REGISTERED');
      expectProblem(await requestLicense(alice.token, 'player', randomDeviceId()), 403, 'NOT_REGISTERED');
      expectProblem(
        await requestLicense(alice.token, 'no-such-program', alice.device),
        403,
        'NOT_REGISTERED',
      );
    });

    it('refuses malformed bodies with 400 VALIDATION', async () => {
      const { token } = await createUser(provider, 'bad-request');
      expectValidation(
        await provider.api('POST', '/v1/licenses/requests', { token, body: { softwareId: 'editor' } }),
        'body.deviceId',
      );
      expectValidation(
        await provider.api('POST', '/v1/licenses/requests', {
          token,
          body: { softwareId: 'editor', deviceId: randomDeviceId(), userId: 'usr_x' },
        }),
      );
    });

    it('answers 401 UNAUTHENTICATED without a session', async () => {
      expectUnauthenticated(
        await provider.api('POST', '/v1/licenses/requests', {
          body: { softwareId: 'editor', deviceId: randomDeviceId() },
        }),
      );
    });
  });

  describe('POST /v1/licenses/redeem', () => {
    it('exchanges the transaction ID for a signed license key whose claims match the registration', async () => {
      const alice = await owner('redeemer', 'compiler');
      const requested = await requestLicense(alice.token, 'compiler', alice.device);
      const response = await redeem(alice.token, requested.body.transactionId, alice.device);
      expect(response.status).toBe(200);
      const iat = Math.floor(provider.clock.now().getTime() / 1000);
      expect(response.body.claims).toEqual({
        iss: 'keyport',
        sub: alice.copyId,
        sw: 'compiler',
        usr: alice.user.userId,
        dev: alice.device,
        iat,
        exp: iat + LEASE_SECONDS,
        jti: expect.stringMatching(/^lic_/),
      });
      const verified = await verifyLicense(response.body.licenseKey, jwks, {
        softwareId: 'compiler',
        deviceId: alice.device,
        issuer: 'keyport',
        now: provider.clock.now(),
      });
      expect(verified).toMatchObject(response.body.claims);
      // The key is no good for another device or program.
      await expect(
        verifyLicense(response.body.licenseKey, jwks, {
          deviceId: randomDeviceId(),
          now: provider.clock.now(),
        }),
      ).rejects.toMatchObject({
        reason: 'WRONG_DEVICE',
      });
    });

    it('redeems a transaction ID at most once: 409 TRANSACTION_USED', async () => {
      const alice = await owner('once', 'player');
      const requested = await requestLicense(alice.token, 'player', alice.device);
      expect((await redeem(alice.token, requested.body.transactionId, alice.device)).status).toBe(200);
      const second = await redeem(alice.token, requested.body.transactionId, alice.device);
      expectProblem(second, 409, 'TRANSACTION_USED');
      expect(second.body).not.toHaveProperty('licenseKey');
    });

    it('answers 404 TRANSACTION_UNKNOWN for a made-up ID, from another device, or from another user — without using it up', async () => {
      const alice = await owner('unknown-tx', 'editor', 2);
      const mallory = await createUser(provider, 'mallory');
      const malloryDevice = await enrol(provider, mallory.token);
      expectProblem(await redeem(alice.token, 'kpt_made-up', alice.device), 404, 'TRANSACTION_UNKNOWN');

      const requested = await requestLicense(alice.token, 'editor', alice.device);
      const transactionId: string = requested.body.transactionId;
      expectProblem(await redeem(alice.token, transactionId, alice.devices[1]!), 404, 'TRANSACTION_UNKNOWN');
      expectProblem(await redeem(mallory.token, transactionId, malloryDevice), 404, 'TRANSACTION_UNKNOWN');
      expectProblem(await redeem(mallory.token, transactionId, alice.device), 404, 'TRANSACTION_UNKNOWN');
      // The rightful device can still redeem it.
      expect((await redeem(alice.token, transactionId, alice.device)).status).toBe(200);
    });

    it('expires a transaction ID after 10 minutes: 410 TRANSACTION_EXPIRED', async () => {
      const alice = await owner('expiry', 'expiring');
      const early = await requestLicense(alice.token, 'expiring', alice.device);
      const late = await requestLicense(alice.token, 'expiring', alice.device);
      provider.clock.advance(10 * MINUTE - 1000);
      expect((await redeem(alice.token, early.body.transactionId, alice.device)).status).toBe(200);
      provider.clock.advance(1000);
      const expired = await redeem(alice.token, late.body.transactionId, alice.device);
      expectProblem(expired, 410, 'TRANSACTION_EXPIRED');
      // A fresh request works again.
      const fresh = await requestLicense(alice.token, 'expiring', alice.device);
      expect((await redeem(alice.token, fresh.body.transactionId, alice.device)).status).toBe(200);
    });

    it('answers 403 NOT_REGISTERED when the copy moved away between request and redeem', async () => {
      const alice = await owner('moved-between', 'mover', 2);
      const requested = await requestLicense(alice.token, 'mover', alice.device);
      const transfer = await provider.api('POST', '/v1/transfers', {
        token: alice.token,
        body: { softwareId: 'mover', sourceDeviceId: alice.device, destinationDeviceId: alice.devices[1] },
      });
      expect(transfer.status).toBe(201);
      expectProblem(
        await redeem(alice.token, requested.body.transactionId, alice.device),
        403,
        'NOT_REGISTERED',
      );
    });

    it('refuses malformed bodies with 400 VALIDATION', async () => {
      const { token } = await createUser(provider, 'bad-redeem');
      expectValidation(
        await provider.api('POST', '/v1/licenses/redeem', {
          token,
          body: { transactionId: '', deviceId: randomDeviceId() },
        }),
        'body.transactionId',
      );
      expectValidation(
        await provider.api('POST', '/v1/licenses/redeem', { token, body: { transactionId: 'kpt_x' } }),
        'body.deviceId',
      );
    });

    it('answers 401 UNAUTHENTICATED without a session', async () => {
      expectUnauthenticated(
        await provider.api('POST', '/v1/licenses/redeem', {
          body: { transactionId: 'kpt_x', deviceId: randomDeviceId() },
        }),
      );
    });
  });

  describe('POST /v1/licenses/refresh', () => {
    it('renews the lease while the copy is on the device: 200 with a new key from now', async () => {
      const alice = await owner('refresh', 'refresher', 2);
      const first = await license(provider, alice.token, 'refresher', alice.device);
      provider.clock.advance(24 * 60 * MINUTE);
      const response = await provider.api('POST', '/v1/licenses/refresh', {
        token: alice.token,
        body: { softwareId: 'refresher', deviceId: alice.device },
      });
      expect(response.status).toBe(200);
      const iat = Math.floor(provider.clock.now().getTime() / 1000);
      expect(response.body.claims).toEqual({
        ...first.claims,
        iat,
        exp: iat + LEASE_SECONDS,
        jti: expect.stringMatching(/^lic_/),
      });
      expect(response.body.claims.jti).not.toBe(first.claims.jti);
      await expect(
        verifyLicense(response.body.licenseKey, jwks, { deviceId: alice.device, now: provider.clock.now() }),
      ).resolves.toMatchObject({ sub: alice.copyId });
    });

    it('refuses the source device after a transfer: 403 LICENSE_REVOKED, while the destination can refresh', async () => {
      const { token } = await createUser(provider, 'revoked');
      const source = await enrol(provider, token, 'Source');
      const destination = await enrol(provider, token, 'Destination');
      await buyAndLicense(provider, token, 'editor', source);
      const transfer = await provider.api('POST', '/v1/transfers', {
        token,
        body: { softwareId: 'editor', sourceDeviceId: source, destinationDeviceId: destination },
      });
      expect(transfer.status).toBe(201);
      const refused = await provider.api('POST', '/v1/licenses/refresh', {
        token,
        body: { softwareId: 'editor', deviceId: source },
      });
      expectProblem(refused, 403, 'LICENSE_REVOKED');
      expect(refused.body).not.toHaveProperty('licenseKey');
      const moved = await provider.api('POST', '/v1/licenses/refresh', {
        token,
        body: { softwareId: 'editor', deviceId: destination },
      });
      expect(moved.status).toBe(200);
      expect(moved.body.claims).toMatchObject({ dev: destination, sw: 'editor' });
    });

    it('answers 403 NOT_REGISTERED for a device that never held the copy', async () => {
      const alice = await owner('refresh-unregistered', 'compiler', 2);
      for (const [softwareId, deviceId] of [
        ['compiler', alice.devices[1]!],
        ['compiler', randomDeviceId()],
        ['player', alice.device],
      ]) {
        expectProblem(
          await provider.api('POST', '/v1/licenses/refresh', {
            token: alice.token,
            body: { softwareId, deviceId },
          }),
          403,
          'NOT_REGISTERED',
        );
      }
    });

    it('refuses malformed bodies with 400 VALIDATION', async () => {
      const { token } = await createUser(provider, 'bad-refresh');
      expectValidation(
        await provider.api('POST', '/v1/licenses/refresh', {
          token,
          body: { softwareId: 'x', deviceId: randomDeviceId() },
        }),
        'body.softwareId',
      );
    });

    it('answers 401 UNAUTHENTICATED without a session', async () => {
      expectUnauthenticated(
        await provider.api('POST', '/v1/licenses/refresh', {
          body: { softwareId: 'editor', deviceId: randomDeviceId() },
        }),
      );
    });
  });
});
