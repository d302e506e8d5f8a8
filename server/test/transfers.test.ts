/**
 * Transfers over real HTTP (DESIGN §1.6, §3): POST /v1/transfers moves a copy between
 * two of the user's devices in one step, with no new charge and honouring
 * Idempotency-Key; GET /v1/transfers is the history — success and every error code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
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

describe('transfers', () => {
  let provider: TestProvider;
  beforeAll(async () => {
    provider = await startProvider();
    await publishSoftware(provider, 'word-smith', { priceCents: 4900 });
  });
  afterAll(() => provider.close());

  /** A user with three devices and word-smith bought on the first. */
  async function owner(name: string) {
    const account = await createUser(provider, name);
    const a = await enrol(provider, account.token, 'A');
    const b = await enrol(provider, account.token, 'B');
    const c = await enrol(provider, account.token, 'C');
    const bought = await provider.api('POST', '/v1/purchases', {
      token: account.token,
      body: { softwareId: 'word-smith', deviceId: a },
    });
    expect(bought.status).toBe(201);
    return { ...account, a, b, c, copyId: bought.body.purchase.copyId as string };
  }

  const transfer = (
    token: string,
    sourceDeviceId: string,
    destinationDeviceId: string,
    headers: Record<string, string> = {},
    softwareId = 'word-smith',
  ) =>
    provider.api('POST', '/v1/transfers', {
      token,
      headers,
      body: { softwareId, sourceDeviceId, destinationDeviceId },
    });

  const registrations = async (token: string) =>
    (await provider.api('GET', '/v1/registrations', { token })).body.registrations as Array<{
      copyId: string;
      deviceId: string;
    }>;

  const eventsOfType = async (type: string, copyId: string) => {
    const events = await provider.api('GET', '/v1/admin/events?limit=500', { token: provider.adminToken });
    return events.body.events.filter(
      (e: { type: string; copyId: string }) => e.type === type && e.copyId === copyId,
    );
  };

  describe('POST /v1/transfers', () => {
    it('moves the copy to the destination in one step: 201 {transfer}, no new charge, an audit event', async () => {
      const alice = await owner('mover');
      const before = await license(provider, alice.token, 'word-smith', alice.a);
      const response = await transfer(alice.token, alice.a, alice.b);
      expect(response.status).toBe(201);
      expect(response.body.transfer).toEqual({
        transferId: expect.stringMatching(/^trf_/),
        copyId: alice.copyId,
        softwareId: 'word-smith',
        sourceDeviceId: alice.a,
        destinationDeviceId: alice.b,
        createdAt: provider.clock.now().toISOString(),
      });
      expect(await registrations(alice.token)).toEqual([
        expect.objectContaining({ copyId: alice.copyId, softwareId: 'word-smith', deviceId: alice.b }),
      ]);
      // The same copy, not a new purchase: one purchase row and one purchase event in all.
      const purchases = await provider.app.keyport.registry.db
        .selectFrom('purchases')
        .select('purchase_id')
        .where('user_id', '=', alice.user.userId)
        .execute();
      expect(purchases).toHaveLength(1);
      expect(await eventsOfType('registration.purchased', alice.copyId)).toHaveLength(1);
      const [event] = await eventsOfType('registration.transferred', alice.copyId);
      expect(event).toMatchObject({
        userId: alice.user.userId,
        softwareId: 'word-smith',
        deviceId: alice.b,
        data: {
          transferId: response.body.transfer.transferId,
          sourceDeviceId: alice.a,
          destinationDeviceId: alice.b,
          licensesRevoked: 1,
        },
      });
      // The source's license is revoked; the destination can download and license it.
      const revoked = await provider.app.keyport.registry.db
        .selectFrom('licenses')
        .select('revoked_at')
        .where('jti', '=', before.claims.jti as string)
        .executeTakeFirstOrThrow();
      expect(revoked.revoked_at).toBe(provider.clock.now().toISOString());
      const download = await provider.api('GET', `/v1/downloads/word-smith?deviceId=${alice.b}`, {
        token: alice.token,
      });
      expect(download.status).toBe(200);
      const moved = await license(provider, alice.token, 'word-smith', alice.b);
      expect(moved.claims).toMatchObject({ sub: alice.copyId, dev: alice.b });
      expectProblem(
        await provider.api('GET', `/v1/downloads/word-smith?deviceId=${alice.a}`, { token: alice.token }),
        403,
        'NOT_REGISTERED',
      );
    });

    it('can move a copy on and back again', async () => {
      const alice = await owner('round-trip');
      expect((await transfer(alice.token, alice.a, alice.b)).status).toBe(201);
      expect((await transfer(alice.token, alice.b, alice.c)).status).toBe(201);
      expect((await transfer(alice.token, alice.c, alice.a)).status).toBe(201);
      expect(await registrations(alice.token)).toEqual([
        expect.objectContaining({ copyId: alice.copyId, deviceId: alice.a }),
      ]);
    });

    it('refuses source = destination with 400 SAME_DEVICE', async () => {
      const alice = await owner('same');
      expectProblem(await transfer(alice.token, alice.a, alice.a), 400, 'SAME_DEVICE');
      expect(await registrations(alice.token)).toEqual([expect.objectContaining({ deviceId: alice.a })]);
    });

    it("refuses a source or destination not enrolled to the user (unknown or another user's): 403 DEVICE_NOT_ENROLLED", async () => {
      const alice = await owner('not-enrolled');
      const bob = await createUser(provider, 'bob');
      const bobs = await enrol(provider, bob.token);
      expectProblem(await transfer(alice.token, alice.a, randomDeviceId()), 403, 'DEVICE_NOT_ENROLLED');
      expectProblem(await transfer(alice.token, alice.a, bobs), 403, 'DEVICE_NOT_ENROLLED');
      expectProblem(await transfer(alice.token, randomDeviceId(), alice.b), 403, 'DEVICE_NOT_ENROLLED');
      expectProblem(await transfer(alice.token, bobs, alice.b), 403, 'DEVICE_NOT_ENROLLED');
      expect(await registrations(alice.token)).toEqual([expect.objectContaining({ deviceId: alice.a })]);
      expect(await registrations(bob.token)).toEqual([]);
    });

    it('refuses software that is not on the source device: 403 NOT_REGISTERED', async () => {
      const alice = await owner('not-on-source');
      // The copy is on A, not on B.
      expectProblem(await transfer(alice.token, alice.b, alice.c), 403, 'NOT_REGISTERED');
      // A program the user does not own at all.
      await publishSoftware(provider, 'never-bought');
      expectProblem(await transfer(alice.token, alice.a, alice.b, {}, 'never-bought'), 403, 'NOT_REGISTERED');
      expect(await registrations(alice.token)).toEqual([expect.objectContaining({ deviceId: alice.a })]);
    });

    it('refuses a transfer to the device the copy is already on: 409 ALREADY_REGISTERED', async () => {
      const alice = await owner('already-there');
      expectProblem(await transfer(alice.token, alice.b, alice.a), 409, 'ALREADY_REGISTERED');
      expect(await registrations(alice.token)).toEqual([expect.objectContaining({ deviceId: alice.a })]);
      expect(await eventsOfType('registration.transferred', alice.copyId)).toEqual([]);
    });

    it('replays a retry with the same Idempotency-Key (one move), refuses the key for another request: 422 IDEMPOTENCY_KEY_REUSED', async () => {
      const alice = await owner('idempotent');
      const headers = { 'idempotency-key': 'transfer-key-0001' };
      const first = await transfer(alice.token, alice.a, alice.b, headers);
      expect(first.status).toBe(201);
      const retry = await transfer(alice.token, alice.a, alice.b, headers);
      expect(retry.status).toBe(201);
      expect(retry.body).toEqual(first.body);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      // Without the key, the same request is a new one, and the copy is already on B.
      expectProblem(await transfer(alice.token, alice.a, alice.b), 409, 'ALREADY_REGISTERED');

      const reused = await transfer(alice.token, alice.b, alice.c, headers);
      expectProblem(reused, 422, 'IDEMPOTENCY_KEY_REUSED');
      expect(await registrations(alice.token)).toEqual([expect.objectContaining({ deviceId: alice.b })]);
      const history = await provider.api('GET', '/v1/transfers', { token: alice.token });
      expect(history.body.transfers).toEqual([first.body.transfer]);
    });

    it('refuses malformed bodies with 400 VALIDATION', async () => {
      const alice = await owner('malformed');
      expectValidation(
        await provider.api('POST', '/v1/transfers', {
          token: alice.token,
          body: { softwareId: 'word-smith', sourceDeviceId: alice.a },
        }),
        'body.destinationDeviceId',
      );
      expectValidation(
        await provider.api('POST', '/v1/transfers', {
          token: alice.token,
          body: { softwareId: 'word-smith', sourceDeviceId: alice.a, destinationDeviceId: 'b' },
        }),
        'body.destinationDeviceId',
      );
      expectValidation(
        await provider.api('POST', '/v1/transfers', {
          token: alice.token,
          body: {
            softwareId: 'word-smith',
            sourceDeviceId: alice.a,
            destinationDeviceId: alice.b,
            force: true,
          },
        }),
      );
      expect(await registrations(alice.token)).toEqual([expect.objectContaining({ deviceId: alice.a })]);
    });

    it('answers 401 UNAUTHENTICATED without a session', async () => {
      expectUnauthenticated(await transfer('', randomDeviceId(), randomDeviceId()));
      expectUnauthenticated(await transfer(provider.adminToken, randomDeviceId(), randomDeviceId()));
    });
  });

  describe('GET /v1/transfers', () => {
    it("lists the user's transfers newest first, and no one else's", async () => {
      const alice = await owner('history');
      const bob = await owner('history-bob');
      provider.clock.advance(1000);
      const first = await transfer(alice.token, alice.a, alice.b);
      provider.clock.advance(1000);
      const second = await transfer(alice.token, alice.b, alice.c);
      expect((await transfer(bob.token, bob.a, bob.b)).status).toBe(201);

      const response = await provider.api('GET', '/v1/transfers', { token: alice.token });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ transfers: [second.body.transfer, first.body.transfer] });
      expect(response.body.transfers[0]).toMatchObject({
        sourceDeviceId: alice.b,
        destinationDeviceId: alice.c,
      });
      const bobs = await provider.api('GET', '/v1/transfers', { token: bob.token });
      expect(bobs.body.transfers).toEqual([
        expect.objectContaining({ sourceDeviceId: bob.a, destinationDeviceId: bob.b }),
      ]);
    });

    it('is empty for a user who never moved anything', async () => {
      const { token } = await createUser(provider, 'stay-put');
      const response = await provider.api('GET', '/v1/transfers', { token });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ transfers: [] });
    });

    it('answers 401 UNAUTHENTICATED without a session', async () => {
      expectUnauthenticated(await provider.api('GET', '/v1/transfers'));
    });
  });
});
