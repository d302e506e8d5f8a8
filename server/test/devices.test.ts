/**
 * Devices over real HTTP (DESIGN §3): enrol (idempotent for the same user), list,
 * rename, retire — success, every documented error, and the device limit (configured
 * to 2 for this file).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUser,
  enrol,
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

describe('devices', () => {
  let provider: TestProvider;
  beforeAll(async () => {
    provider = await startProvider({ settings: { deviceLimit: 2 } });
  });
  afterAll(() => provider.close());

  const listIds = async (token: string): Promise<string[]> => {
    const response = await provider.api('GET', '/v1/devices', { token });
    expect(response.status).toBe(200);
    return response.body.devices.map((d: { deviceId: string }) => d.deviceId);
  };

  describe('POST /v1/devices', () => {
    it('enrols a device: 201 {device}', async () => {
      const { token } = await createUser(provider, 'enrol');
      const deviceId = randomDeviceId();
      const response = await provider.api('POST', '/v1/devices', {
        token,
        body: { deviceId, name: 'Desk PC', platform: 'linux' },
      });
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        device: {
          deviceId,
          name: 'Desk PC',
          platform: 'linux',
          enrolledAt: provider.clock.now().toISOString(),
        },
      });
      expect(await listIds(token)).toEqual([deviceId]);
    });

    it('re-enrolling your own device is idempotent: 200 with the device as it was', async () => {
      const { token } = await createUser(provider, 'reenrol');
      const deviceId = randomDeviceId();
      const first = await provider.api('POST', '/v1/devices', {
        token,
        body: { deviceId, name: 'Laptop', platform: 'darwin' },
      });
      expect(first.status).toBe(201);
      provider.clock.advance(60_000);
      const again = await provider.api('POST', '/v1/devices', {
        token,
        body: { deviceId, name: 'Laptop', platform: 'darwin' },
      });
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      expect(await listIds(token)).toEqual([deviceId]);
    });

    it("refuses another user's device: 409 DEVICE_TAKEN, and it stays with its owner", async () => {
      const owner = await createUser(provider, 'owner');
      const intruder = await createUser(provider, 'intruder');
      const deviceId = await enrol(provider, owner.token, 'Mine');
      const response = await provider.api('POST', '/v1/devices', {
        token: intruder.token,
        body: { deviceId, name: 'Also mine', platform: 'linux' },
      });
      expectProblem(response, 409, 'DEVICE_TAKEN');
      expect(await listIds(intruder.token)).toEqual([]);
      const ownerDevices = await provider.api('GET', '/v1/devices', { token: owner.token });
      expect(ownerDevices.body.devices).toEqual([expect.objectContaining({ deviceId, name: 'Mine' })]);
    });

    it('refuses a device over the limit: 409 DEVICE_LIMIT; re-enrolling one you have still works; retiring one makes room', async () => {
      const { token } = await createUser(provider, 'limited');
      const first = await enrol(provider, token, 'One');
      const second = await enrol(provider, token, 'Two');
      const third = randomDeviceId();
      const refused = await provider.api('POST', '/v1/devices', {
        token,
        body: { deviceId: third, name: 'Three', platform: 'linux' },
      });
      expectProblem(refused, 409, 'DEVICE_LIMIT');
      expect(await listIds(token)).not.toContain(third);

      const reenrol = await provider.api('POST', '/v1/devices', {
        token,
        body: { deviceId: first, name: 'One', platform: 'linux' },
      });
      expect(reenrol.status).toBe(200);

      expect((await provider.api('DELETE', `/v1/devices/${first}`, { token })).status).toBe(204);
      const afterRetire = await provider.api('POST', '/v1/devices', {
        token,
        body: { deviceId: third, name: 'Three', platform: 'linux' },
      });
      expect(afterRetire.status).toBe(201);
      expect((await listIds(token)).sort()).toEqual([second, third].sort());
    });

    it('refuses malformed device IDs and fields with 400 VALIDATION', async () => {
      const { token } = await createUser(provider, 'badenrol');
      const good = { deviceId: randomDeviceId(), name: 'Box', platform: 'linux' };
      for (const deviceId of [
        good.deviceId.toUpperCase(),
        good.deviceId.slice(1),
        `${good.deviceId}0`,
        'x',
      ]) {
        expectValidation(
          await provider.api('POST', '/v1/devices', { token, body: { ...good, deviceId } }),
          'body.deviceId',
        );
      }
      expectValidation(
        await provider.api('POST', '/v1/devices', { token, body: { ...good, name: '' } }),
        'body.name',
      );
      expectValidation(
        await provider.api('POST', '/v1/devices', { token, body: { ...good, serial: 'ABC123' } }),
      );
      expect(await listIds(token)).toEqual([]);
    });

    it('answers 401 UNAUTHENTICATED without a session', async () => {
      const body = { deviceId: randomDeviceId(), name: 'Box', platform: 'linux' };
      expectUnauthenticated(await provider.api('POST', '/v1/devices', { body }));
      expectUnauthenticated(await provider.api('POST', '/v1/devices', { body, token: provider.adminToken }));
      // Authentication comes before validation: an anonymous caller learns nothing about bodies.
      expectUnauthenticated(await provider.api('POST', '/v1/devices', { body: { deviceId: 'x' } }));
    });
  });

  describe('GET /v1/devices', () => {
    it("lists only the signed-in user's devices, in enrolment order", async () => {
      const alice = await createUser(provider, 'alice');
      const bob = await createUser(provider, 'bob');
      const a1 = await enrol(provider, alice.token, 'A1');
      provider.clock.advance(1000);
      const a2 = await enrol(provider, alice.token, 'A2');
      const b1 = await enrol(provider, bob.token, 'B1');
      const response = await provider.api('GET', '/v1/devices', { token: alice.token });
      expect(response.status).toBe(200);
      expect(response.body.devices).toEqual([
        { deviceId: a1, name: 'A1', platform: 'linux', enrolledAt: expect.any(String) },
        { deviceId: a2, name: 'A2', platform: 'linux', enrolledAt: provider.clock.now().toISOString() },
      ]);
      expect(await listIds(bob.token)).toEqual([b1]);
    });

    it('answers 401 UNAUTHENTICATED without a session', async () => {
      expectUnauthenticated(await provider.api('GET', '/v1/devices'));
    });
  });

  describe('PATCH /v1/devices/:deviceId', () => {
    it('renames a device: 200 {device}, and the new name sticks', async () => {
      const { token } = await createUser(provider, 'renamer');
      const deviceId = await enrol(provider, token, 'Old name');
      const response = await provider.api('PATCH', `/v1/devices/${deviceId}`, {
        token,
        body: { name: 'New name' },
      });
      expect(response.status).toBe(200);
      expect(response.body.device).toMatchObject({ deviceId, name: 'New name', platform: 'linux' });
      const list = await provider.api('GET', '/v1/devices', { token });
      expect(list.body.devices).toEqual([expect.objectContaining({ deviceId, name: 'New name' })]);
    });

    it("answers 404 NOT_FOUND for an unknown device and for another user's, leaving it alone", async () => {
      const owner = await createUser(provider, 'patch-owner');
      const other = await createUser(provider, 'patch-other');
      const deviceId = await enrol(provider, owner.token, 'Keep me');
      expectProblem(
        await provider.api('PATCH', `/v1/devices/${randomDeviceId()}`, {
          token: other.token,
          body: { name: 'X' },
        }),
        404,
        'NOT_FOUND',
      );
      expectProblem(
        await provider.api('PATCH', `/v1/devices/${deviceId}`, {
          token: other.token,
          body: { name: 'Hijacked' },
        }),
        404,
        'NOT_FOUND',
      );
      const list = await provider.api('GET', '/v1/devices', { token: owner.token });
      expect(list.body.devices[0].name).toBe('Keep me');
    });

    it('refuses an empty name or a malformed device ID with 400 VALIDATION', async () => {
      const { token } = await createUser(provider, 'patch-bad');
      const deviceId = await enrol(provider, token, 'Name');
      expectValidation(
        await provider.api('PATCH', `/v1/devices/${deviceId}`, { token, body: { name: '  ' } }),
        'body.name',
      );
      expectValidation(
        await provider.api('PATCH', '/v1/devices/not-a-device', { token, body: { name: 'X' } }),
        'params.deviceId',
      );
    });

    it('answers 401 UNAUTHENTICATED without a session', async () => {
      expectUnauthenticated(
        await provider.api('PATCH', `/v1/devices/${randomDeviceId()}`, { body: { name: 'X' } }),
      );
    });
  });

  describe('DELETE /v1/devices/:deviceId', () => {
    it('retires a device: 204, and it is gone', async () => {
      const { token } = await createUser(provider, 'retire');
      const keep = await enrol(provider, token, 'Keep');
      const retire = await enrol(provider, token, 'Retire');
      const response = await provider.api('DELETE', `/v1/devices/${retire}`, { token });
      expect(response.status).toBe(204);
      expect(await listIds(token)).toEqual([keep]);
      // Gone means gone: a second retire is 404.
      expectProblem(await provider.api('DELETE', `/v1/devices/${retire}`, { token }), 404, 'NOT_FOUND');
    });

    it('refuses while a copy is registered to it (409 DEVICE_HAS_SOFTWARE), and allows it once the copy has moved', async () => {
      await publishSoftware(provider, 'device-bound');
      const { token } = await createUser(provider, 'holder');
      const source = await enrol(provider, token, 'Source');
      const destination = await enrol(provider, token, 'Destination');
      const purchase = await provider.api('POST', '/v1/purchases', {
        token,
        body: { softwareId: 'device-bound', deviceId: source },
      });
      expect(purchase.status).toBe(201);

      const refused = await provider.api('DELETE', `/v1/devices/${source}`, { token });
      expectProblem(refused, 409, 'DEVICE_HAS_SOFTWARE');
      expect(refused.body.detail).toContain('device-bound');
      expect(await listIds(token)).toContain(source);

      const transfer = await provider.api('POST', '/v1/transfers', {
        token,
        body: { softwareId: 'device-bound', sourceDeviceId: source, destinationDeviceId: destination },
      });
      expect(transfer.status).toBe(201);
      expect((await provider.api('DELETE', `/v1/devices/${source}`, { token })).status).toBe(204);
      expectProblem(
        await provider.api('DELETE', `/v1/devices/${destination}`, { token }),
        409,
        'DEVICE_HAS_SOFTWARE',
      );
      expect(await listIds(token)).toEqual([destination]);
    });

    it("answers 404 NOT_FOUND for an unknown device and for another user's, leaving it enrolled", async () => {
      const owner = await createUser(provider, 'del-owner');
      const other = await createUser(provider, 'del-other');
      const deviceId = await enrol(provider, owner.token, 'Mine');
      expectProblem(
        await provider.api('DELETE', `/v1/devices/${randomDeviceId()}`, { token: other.token }),
        404,
        'NOT_FOUND',
      );
      expectProblem(
        await provider.api('DELETE', `/v1/devices/${deviceId}`, { token: other.token }),
        404,
        'NOT_FOUND',
      );
      expect(await listIds(owner.token)).toEqual([deviceId]);
    });

    it('refuses a malformed device ID with 400 VALIDATION', async () => {
      const { token } = await createUser(provider, 'del-bad');
      expectValidation(
        await provider.api('DELETE', `/v1/devices/${'A'.repeat(64)}`, { token }),
        'params.deviceId',
      );
    });

    it('answers 401 UNAUTHENTICATED without a session', async () => {
      expectUnauthenticated(await provider.api('DELETE', `/v1/devices/${randomDeviceId()}`));
    });
  });
});
