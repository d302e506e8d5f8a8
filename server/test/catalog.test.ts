/**
 * The store over real HTTP (DESIGN §3): the open catalog (search, cursor paging, one
 * program with its releases), purchases (with Idempotency-Key) and the registered
 * information — success and every documented error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUser,
  enrol,
  publishSoftware,
  randomDeviceId,
  smallPackage,
  startProvider,
  type TestProvider,
} from '../../test-support/provider-harness.ts';
import {
  expectProblem,
  expectUnauthenticated,
  expectValidation,
} from '../../test-support/problem-assertions.ts';

/** name → softwareId of everything listed in this file's catalog (sorted by name). */
const LISTED = [
  { softwareId: 'zeta-chess', name: 'Chess Master' },
  { softwareId: 'delta-draw', name: 'Delta Draw' },
  { softwareId: 'image-kit', name: 'Image Kit' },
  { softwareId: 'notes-pro', name: 'Notes Pro' },
  { softwareId: 'alpha-paint', name: 'Paint Studio' },
  { softwareId: 'twin-release', name: 'Twin Release' },
];

describe('catalog and purchases', () => {
  let provider: TestProvider;
  const sizes = new Map<string, number>();

  beforeAll(async () => {
    provider = await startProvider();
    for (const { softwareId, name } of LISTED) {
      if (softwareId === 'twin-release' || softwareId === 'image-kit') continue;
      const { archive } = await publishSoftware(provider, softwareId, {
        name,
        priceCents: 100 + softwareId.length,
      });
      sizes.set(softwareId, archive.length);
    }
    // One program whose summary does not repeat its ID, so a search can tell them apart.
    const imageKit = await provider.api('POST', '/v1/admin/software', {
      token: provider.adminToken,
      body: {
        softwareId: 'image-kit',
        name: 'Image Kit',
        summary: 'Crop and resize photos',
        priceCents: 500,
        currency: 'EUR',
      },
    });
    expect(imageKit.status).toBe(201);
    const imageRelease = await provider.api('POST', '/v1/admin/software/image-kit/releases', {
      token: provider.adminToken,
      rawBody: await smallPackage('3.1.4'),
      headers: { 'content-type': 'application/gzip' },
    });
    expect(imageRelease.status).toBe(201);
    sizes.set('image-kit', imageRelease.body.release.sizeBytes);
    // Two releases of one program published at the same instant (the test clock stands still).
    const { archive } = await publishSoftware(provider, 'twin-release', { name: 'Twin Release' });
    sizes.set('twin-release', archive.length);
    const second = await provider.api('POST', '/v1/admin/software/twin-release/releases', {
      token: provider.adminToken,
      rawBody: await smallPackage('1.1.0'),
      headers: { 'content-type': 'application/gzip' },
    });
    expect(second.status).toBe(201);
    // A program without a release is not for sale.
    const unreleased = await provider.api('POST', '/v1/admin/software', {
      token: provider.adminToken,
      body: {
        softwareId: 'vapourware',
        name: 'Vapourware',
        summary: 'Coming soon',
        priceCents: 1,
        currency: 'EUR',
      },
    });
    expect(unreleased.status).toBe(201);
  });
  afterAll(() => provider.close());

  describe('GET /v1/catalog', () => {
    it('lists every released program once, sorted by name, without a session', async () => {
      const response = await provider.api('GET', '/v1/catalog');
      expect(response.status).toBe(200);
      expect(response.body.nextCursor).toBeNull();
      expect(response.body.items.map((i: { softwareId: string }) => i.softwareId)).toEqual(
        LISTED.map((l) => l.softwareId),
      );
      const paint = response.body.items.find((i: { softwareId: string }) => i.softwareId === 'alpha-paint');
      expect(paint).toEqual({
        softwareId: 'alpha-paint',
        name: 'Paint Studio',
        summary: 'Summary of alpha-paint',
        priceCents: 100 + 'alpha-paint'.length,
        currency: 'USD',
        version: '1.0.0',
        sizeBytes: sizes.get('alpha-paint'),
      });
    });

    it('does not list software that has no release', async () => {
      const all = await provider.api('GET', '/v1/catalog?limit=100');
      expect(all.body.items.map((i: { softwareId: string }) => i.softwareId)).not.toContain('vapourware');
      const searched = await provider.api('GET', '/v1/catalog?q=vapour');
      expect(searched.body).toEqual({ items: [], nextCursor: null });
    });

    it('searches name, summary and software ID case-insensitively with q', async () => {
      const ids = async (q: string) => {
        const response = await provider.api('GET', `/v1/catalog?q=${encodeURIComponent(q)}`);
        expect(response.status).toBe(200);
        return response.body.items.map((i: { softwareId: string }) => i.softwareId);
      };
      expect(await ids('CHESS')).toEqual(['zeta-chess']); // name
      expect(await ids('RESIZE')).toEqual(['image-kit']); // summary
      expect(await ids('image-')).toEqual(['image-kit']); // software ID only
      expect(await ids('  kit  ')).toEqual(['image-kit']); // trimmed
      expect(await ids('no such program')).toEqual([]);
      // LIKE wildcards are matched literally.
      expect(await ids('%')).toEqual([]);
      expect(await ids('_')).toEqual([]);
      expect(await ids('')).toHaveLength(LISTED.length);
    });

    it('pages with limit and an opaque cursor: limit=1 walks every item exactly once', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `?limit=1&cursor=${encodeURIComponent(cursor)}` : '?limit=1';
        const response = await provider.api('GET', `/v1/catalog${query}`);
        expect(response.status).toBe(200);
        expect(response.body.items).toHaveLength(1);
        seen.push(response.body.items[0].softwareId);
        cursor = response.body.nextCursor;
        pages++;
        expect(pages).toBeLessThanOrEqual(LISTED.length);
      } while (cursor);
      expect(seen).toEqual(LISTED.map((l) => l.softwareId));
    });

    it('pages a search: q and cursor together', async () => {
      // "Summary of …" is every summary but image-kit's: 5 items, pages of 2.
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const after: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const response = await provider.api('GET', `/v1/catalog?q=summary&limit=2${after}`);
        expect(response.status).toBe(200);
        seen.push(...response.body.items.map((i: { softwareId: string }) => i.softwareId));
        cursor = response.body.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual(LISTED.map((l) => l.softwareId).filter((id) => id !== 'image-kit'));
    });

    it('refuses a garbage cursor, a bad limit and unknown parameters with 400 VALIDATION', async () => {
      expectValidation(await provider.api('GET', '/v1/catalog?cursor=garbage!!'));
      const wrongShape = Buffer.from(JSON.stringify({ name: 'x' })).toString('base64url');
      expectValidation(await provider.api('GET', `/v1/catalog?cursor=${wrongShape}`));
      expectValidation(await provider.api('GET', '/v1/catalog?limit=0'), 'querystring.limit');
      expectValidation(await provider.api('GET', '/v1/catalog?limit=101'), 'querystring.limit');
      expectValidation(await provider.api('GET', '/v1/catalog?limit=two'), 'querystring.limit');
      expectValidation(await provider.api('GET', '/v1/catalog?sort=price'));
    });
  });

  describe('GET /v1/catalog/:softwareId', () => {
    it('returns one program with its releases, newest first', async () => {
      const response = await provider.api('GET', '/v1/catalog/alpha-paint');
      expect(response.status).toBe(200);
      expect(response.body.software).toEqual({
        softwareId: 'alpha-paint',
        name: 'Paint Studio',
        summary: 'Summary of alpha-paint',
        priceCents: 100 + 'alpha-paint'.length,
        currency: 'USD',
        version: '1.0.0',
        sizeBytes: sizes.get('alpha-paint'),
        releases: [
          {
            version: '1.0.0',
            sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
            sizeBytes: sizes.get('alpha-paint'),
            // keyport.json and main.mjs, measured at publish.
            expandedBytes: expect.any(Number),
            entryCount: 2,
            entry: 'main.mjs',
            publishedAt: expect.any(String),
          },
        ],
      });
    });

    it('lists every release and agrees with the catalog on which is newest', async () => {
      const before = await provider.api('GET', '/v1/catalog/twin-release');
      expect(before.body.software.releases.map((r: { version: string }) => r.version).sort()).toEqual([
        '1.0.0',
        '1.1.0',
      ]);
      expect(before.body.software.version).toBe(before.body.software.releases[0].version);

      provider.clock.advance(60_000);
      const third = await provider.api('POST', '/v1/admin/software/twin-release/releases', {
        token: provider.adminToken,
        rawBody: await smallPackage('2.0.0'),
        headers: { 'content-type': 'application/gzip' },
      });
      expect(third.status).toBe(201);
      const after = await provider.api('GET', '/v1/catalog/twin-release');
      expect(after.body.software.version).toBe('2.0.0');
      expect(after.body.software.sizeBytes).toBe(third.body.release.sizeBytes);
      expect(after.body.software.releases.map((r: { version: string }) => r.version)).toEqual([
        '2.0.0',
        ...before.body.software.releases.map((r: { version: string }) => r.version),
      ]);
      const listed = await provider.api('GET', '/v1/catalog?q=twin');
      expect(listed.body.items).toEqual([
        expect.objectContaining({ softwareId: 'twin-release', version: '2.0.0' }),
      ]);
    });

    it('answers 404 NOT_FOUND for unknown software and for software without a release', async () => {
      expectProblem(await provider.api('GET', '/v1/catalog/no-such-thing'), 404, 'NOT_FOUND');
      expectProblem(await provider.api('GET', '/v1/catalog/vapourware'), 404, 'NOT_FOUND');
    });

    it('refuses a software ID that is not a slug with 400 VALIDATION', async () => {
      expectValidation(await provider.api('GET', '/v1/catalog/Not_A_Slug'), 'params.softwareId');
    });
  });

  describe('POST /v1/purchases', () => {
    it('buys a program for an enrolled device: 201 {purchase}, and registers the copy to it', async () => {
      const { token } = await createUser(provider, 'buyer');
      const deviceId = await enrol(provider, token);
      const response = await provider.api('POST', '/v1/purchases', {
        token,
        body: { softwareId: 'notes-pro', deviceId },
      });
      expect(response.status).toBe(201);
      expect(response.body.purchase).toEqual({
        purchaseId: expect.stringMatching(/^pur_/),
        softwareId: 'notes-pro',
        deviceId,
        copyId: expect.stringMatching(/^cpy_/),
        priceCents: 100 + 'notes-pro'.length,
        currency: 'USD',
        createdAt: provider.clock.now().toISOString(),
      });
      expect(response.headers.get('idempotent-replayed')).toBeNull();
      const registrations = await provider.api('GET', '/v1/registrations', { token });
      expect(registrations.body.registrations).toEqual([
        {
          copyId: response.body.purchase.copyId,
          softwareId: 'notes-pro',
          deviceId,
          registeredAt: provider.clock.now().toISOString(),
        },
      ]);
    });

    it("refuses a device that is not enrolled to the buyer: 403 DEVICE_NOT_ENROLLED (unknown or another user's)", async () => {
      const buyer = await createUser(provider, 'unenrolled');
      const other = await createUser(provider, 'other-owner');
      const othersDevice = await enrol(provider, other.token);
      for (const deviceId of [randomDeviceId(), othersDevice]) {
        expectProblem(
          await provider.api('POST', '/v1/purchases', {
            token: buyer.token,
            body: { softwareId: 'notes-pro', deviceId },
          }),
          403,
          'DEVICE_NOT_ENROLLED',
        );
      }
      expect(
        (await provider.api('GET', '/v1/registrations', { token: buyer.token })).body.registrations,
      ).toEqual([]);
      expect(
        (await provider.api('GET', '/v1/registrations', { token: other.token })).body.registrations,
      ).toEqual([]);
    });

    it('answers 404 NOT_FOUND for unknown software and software without a release', async () => {
      const { token } = await createUser(provider, 'nothing-to-buy');
      const deviceId = await enrol(provider, token);
      for (const softwareId of ['no-such-thing', 'vapourware']) {
        expectProblem(
          await provider.api('POST', '/v1/purchases', { token, body: { softwareId, deviceId } }),
          404,
          'NOT_FOUND',
        );
      }
      expect((await provider.api('GET', '/v1/registrations', { token })).body.registrations).toEqual([]);
    });

    it('refuses buying a program you already own, on the same or another device: 409 ALREADY_REGISTERED', async () => {
      const { token } = await createUser(provider, 'twice');
      const first = await enrol(provider, token, 'First');
      const second = await enrol(provider, token, 'Second');
      const bought = await provider.api('POST', '/v1/purchases', {
        token,
        body: { softwareId: 'image-kit', deviceId: first },
      });
      expect(bought.status).toBe(201);
      for (const deviceId of [first, second]) {
        expectProblem(
          await provider.api('POST', '/v1/purchases', { token, body: { softwareId: 'image-kit', deviceId } }),
          409,
          'ALREADY_REGISTERED',
        );
      }
      const registrations = await provider.api('GET', '/v1/registrations', { token });
      expect(registrations.body.registrations).toEqual([expect.objectContaining({ deviceId: first })]);
    });

    it('replays a retry with the same Idempotency-Key (one charge), and refuses the key for another request: 422 IDEMPOTENCY_KEY_REUSED', async () => {
      const { token, user } = await createUser(provider, 'retrier');
      const deviceId = await enrol(provider, token);
      const headers = { 'idempotency-key': 'purchase-key-0001' };
      const first = await provider.api('POST', '/v1/purchases', {
        token,
        headers,
        body: { softwareId: 'delta-draw', deviceId },
      });
      expect(first.status).toBe(201);
      const retry = await provider.api('POST', '/v1/purchases', {
        token,
        headers,
        body: { softwareId: 'delta-draw', deviceId },
      });
      expect(retry.status).toBe(201);
      expect(retry.body).toEqual(first.body);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');

      const reused = await provider.api('POST', '/v1/purchases', {
        token,
        headers,
        body: { softwareId: 'zeta-chess', deviceId },
      });
      expectProblem(reused, 422, 'IDEMPOTENCY_KEY_REUSED');

      const purchases = await provider.app.keyport.registry.db
        .selectFrom('purchases')
        .select('purchase_id')
        .where('user_id', '=', user.userId)
        .execute();
      expect(purchases).toEqual([{ purchase_id: first.body.purchase.purchaseId }]);
      const registrations = await provider.api('GET', '/v1/registrations', { token });
      expect(registrations.body.registrations.map((r: { softwareId: string }) => r.softwareId)).toEqual([
        'delta-draw',
      ]);
    });

    it('refuses malformed bodies and Idempotency-Keys with 400 VALIDATION', async () => {
      const { token } = await createUser(provider, 'bad-buyer');
      const deviceId = await enrol(provider, token);
      expectValidation(
        await provider.api('POST', '/v1/purchases', { token, body: { softwareId: 'Notes Pro', deviceId } }),
        'body.softwareId',
      );
      expectValidation(
        await provider.api('POST', '/v1/purchases', { token, body: { softwareId: 'notes-pro' } }),
        'body.deviceId',
      );
      expectValidation(
        await provider.api('POST', '/v1/purchases', {
          token,
          body: { softwareId: 'notes-pro', deviceId, priceCents: 0 },
        }),
      );
      expectValidation(
        await provider.api('POST', '/v1/purchases', {
          token,
          headers: { 'idempotency-key': 'short' },
          body: { softwareId: 'notes-pro', deviceId },
        }),
      );
      expect((await provider.api('GET', '/v1/registrations', { token })).body.registrations).toEqual([]);
    });

    it('answers 401 UNAUTHENTICATED without a session', async () => {
      expectUnauthenticated(
        await provider.api('POST', '/v1/purchases', {
          body: { softwareId: 'notes-pro', deviceId: randomDeviceId() },
        }),
      );
    });
  });

  describe('GET /v1/registrations', () => {
    it("lists the signed-in user's copies and the device each is on, and nobody else's", async () => {
      const alice = await createUser(provider, 'reg-alice');
      const bob = await createUser(provider, 'reg-bob');
      const laptop = await enrol(provider, alice.token, 'Laptop');
      const desktop = await enrol(provider, alice.token, 'Desktop');
      const bobs = await enrol(provider, bob.token);
      for (const [softwareId, deviceId] of [
        ['alpha-paint', laptop],
        ['zeta-chess', desktop],
      ] as const) {
        expect(
          (
            await provider.api('POST', '/v1/purchases', {
              token: alice.token,
              body: { softwareId, deviceId },
            })
          ).status,
        ).toBe(201);
        provider.clock.advance(1000);
      }
      expect(
        (
          await provider.api('POST', '/v1/purchases', {
            token: bob.token,
            body: { softwareId: 'alpha-paint', deviceId: bobs },
          })
        ).status,
      ).toBe(201);

      const response = await provider.api('GET', '/v1/registrations', { token: alice.token });
      expect(response.status).toBe(200);
      expect(response.body.registrations).toEqual([
        {
          copyId: expect.stringMatching(/^cpy_/),
          softwareId: 'alpha-paint',
          deviceId: laptop,
          registeredAt: expect.any(String),
        },
        {
          copyId: expect.stringMatching(/^cpy_/),
          softwareId: 'zeta-chess',
          deviceId: desktop,
          registeredAt: expect.any(String),
        },
      ]);
      const bobsList = await provider.api('GET', '/v1/registrations', { token: bob.token });
      expect(bobsList.body.registrations).toEqual([
        expect.objectContaining({ softwareId: 'alpha-paint', deviceId: bobs }),
      ]);
    });

    it('answers 401 UNAUTHENTICATED without a session', async () => {
      expectUnauthenticated(await provider.api('GET', '/v1/registrations'));
    });
  });
});
