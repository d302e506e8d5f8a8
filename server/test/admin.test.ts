/**
 * Admin routes over real HTTP (DESIGN §3): provisioning users with their devices,
 * adding software, publishing releases (the .tar.gz upload, checked) and the audit
 * log with `after` paging — success, every error code, and the admin token check.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Parser } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packFiles } from '../seed/package-builder.ts';
import {
  createUser,
  enrol,
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

const MAX_RELEASE_BYTES = 64 * 1024;

describe('admin', () => {
  let provider: TestProvider;
  beforeAll(async () => {
    provider = await startProvider({ settings: { maxReleaseBytes: MAX_RELEASE_BYTES } });
  });
  afterAll(() => provider.close());

  const admin = (method: string, route: string, body?: unknown) =>
    provider.api(method, route, { token: provider.adminToken, body });
  const upload = (
    softwareId: string,
    archive: Buffer | string,
    contentType = 'application/gzip',
    token?: string,
  ) =>
    provider.api('POST', `/v1/admin/software/${softwareId}/releases`, {
      token: token ?? provider.adminToken,
      rawBody: archive,
      headers: { 'content-type': contentType },
    });
  const createSoftware = (softwareId: string, overrides: Record<string, unknown> = {}) =>
    admin('POST', '/v1/admin/software', {
      softwareId,
      name: `Name of ${softwareId}`,
      summary: `About ${softwareId}`,
      priceCents: 1500,
      currency: 'EUR',
      ...overrides,
    });
  const allEvents = async () => {
    const response = await provider.api('GET', '/v1/admin/events?limit=500', { token: provider.adminToken });
    expect(response.status).toBe(200);
    return response.body.events as Array<{
      eventId: number;
      type: string;
      deviceId: string | null;
      userId: string | null;
    }>;
  };

  describe('admin authentication', () => {
    const routes: Array<[string, string, unknown?]> = [
      ['POST', '/v1/admin/provision', { email: 'x@example.test', displayName: 'X', devices: [] }],
      [
        'POST',
        '/v1/admin/software',
        { softwareId: 'sneaky', name: 'S', summary: '', priceCents: 0, currency: 'USD' },
      ],
      ['GET', '/v1/admin/events'],
    ];

    it('refuses a missing token, a user session token and a wrong admin token with 401 UNAUTHENTICATED', async () => {
      const user = await createUser(provider, 'not-admin');
      for (const token of [
        undefined,
        user.token,
        `${provider.adminToken}x`,
        provider.adminToken.slice(0, -1),
      ]) {
        for (const [method, route, body] of routes) {
          expectUnauthenticated(await provider.api(method, route, { token, body }));
        }
        expectUnauthenticated(await upload('sneaky', await smallPackage(), 'application/gzip', token ?? ''));
      }
      // Nothing was created.
      expectProblem(await provider.api('GET', '/v1/catalog/sneaky'), 404, 'NOT_FOUND');
      const software = await provider.app.keyport.registry.db
        .selectFrom('software')
        .select('software_id')
        .where('software_id', '=', 'sneaky')
        .execute();
      expect(software).toEqual([]);
    });

    it('checks the token before reading the body: an anonymous oversized upload is 401, not 413', async () => {
      const response = await upload('sneaky', randomBytes(MAX_RELEASE_BYTES + 1024), 'application/gzip', '');
      expectUnauthenticated(response);
    });
  });

  describe('POST /v1/admin/provision', () => {
    it('registers a user and their device IDs: 201 {user, devices}; the user can sign in and sees the devices', async () => {
      const d1 = randomDeviceId();
      const d2 = randomDeviceId();
      const response = await admin('POST', '/v1/admin/provision', {
        email: 'Retail.Customer@Example.test',
        displayName: 'Customer',
        password: 'retailer-set-pw',
        devices: [
          { deviceId: d1, name: 'Tower', platform: 'win32' },
          { deviceId: d2, name: 'Notebook', platform: 'darwin' },
        ],
      });
      expect(response.status).toBe(201);
      expect(response.body.user).toEqual({
        userId: expect.stringMatching(/^usr_/),
        email: 'retail.customer@example.test',
        displayName: 'Customer',
        createdAt: provider.clock.now().toISOString(),
      });
      expect(response.body.devices).toHaveLength(2);
      expect(response.body.devices).toEqual(
        expect.arrayContaining([
          {
            deviceId: d1,
            name: 'Tower',
            platform: 'win32',
            enrolledAt: provider.clock.now().toISOString(),
            flags: [],
          },
          {
            deviceId: d2,
            name: 'Notebook',
            platform: 'darwin',
            enrolledAt: provider.clock.now().toISOString(),
            flags: [],
          },
        ]),
      );

      const session = await provider.api('POST', '/v1/sessions', {
        body: { email: 'retail.customer@example.test', password: 'retailer-set-pw' },
      });
      expect(session.status).toBe(201);
      expect(session.body.user.userId).toBe(response.body.user.userId);
      const devices = await provider.api('GET', '/v1/devices', { token: session.body.token });
      expect(devices.body.devices.map((d: { deviceId: string }) => d.deviceId).sort()).toEqual(
        [d1, d2].sort(),
      );

      const provisioned = (await allEvents()).filter(
        (e) => e.type === 'device.provisioned' && e.userId === response.body.user.userId,
      );
      expect(provisioned.map((e) => e.deviceId).sort()).toEqual([d1, d2].sort());
    });

    it('adds devices to an existing user, leaving the ones already there as they are', async () => {
      const existing = randomDeviceId();
      const added = randomDeviceId();
      const first = await admin('POST', '/v1/admin/provision', {
        email: 'repeat@example.test',
        displayName: 'Repeat',
        devices: [{ deviceId: existing, name: 'Old', platform: 'linux' }],
      });
      expect(first.status).toBe(201);
      const eventsBefore = (await allEvents()).length;
      provider.clock.advance(1000);
      const again = await admin('POST', '/v1/admin/provision', {
        email: 'repeat@example.test',
        displayName: 'Repeat',
        devices: [
          { deviceId: existing, name: 'Renamed?', platform: 'linux' },
          { deviceId: added, name: 'New', platform: 'linux' },
        ],
      });
      expect(again.status).toBe(201);
      expect(again.body.user).toEqual(first.body.user);
      expect(again.body.devices).toEqual([
        first.body.devices[0],
        {
          deviceId: added,
          name: 'New',
          platform: 'linux',
          enrolledAt: provider.clock.now().toISOString(),
          flags: [],
        },
      ]);
      // One new event: the added device only.
      const newEvents = (await allEvents()).slice(eventsBefore);
      expect(newEvents.map((e) => [e.type, e.deviceId])).toEqual([['device.provisioned', added]]);
    });

    it('refuses a device enrolled to another account: 409 DEVICE_TAKEN, and changes nothing', async () => {
      const other = await createUser(provider, 'device-holder');
      const taken = await enrol(provider, other.token, 'Theirs');
      const fresh = randomDeviceId();
      const response = await admin('POST', '/v1/admin/provision', {
        email: 'grabber@example.test',
        displayName: 'Grabber',
        password: 'grabber-password',
        devices: [
          { deviceId: fresh, name: 'Fresh', platform: 'linux' },
          { deviceId: taken, name: 'Taken', platform: 'linux' },
        ],
      });
      expectProblem(response, 409, 'DEVICE_TAKEN');
      const db = provider.app.keyport.registry.db;
      expect(
        await db.selectFrom('users').select('user_id').where('email', '=', 'grabber@example.test').execute(),
      ).toEqual([]);
      expect(
        await db.selectFrom('devices').select('device_id').where('device_id', '=', fresh).execute(),
      ).toEqual([]);
      const theirs = await provider.api('GET', '/v1/devices', { token: other.token });
      expect(theirs.body.devices).toEqual([expect.objectContaining({ deviceId: taken, name: 'Theirs' })]);
    });

    it('refuses malformed bodies with 400 VALIDATION', async () => {
      const device = { deviceId: randomDeviceId(), name: 'D', platform: 'linux' };
      expectValidation(
        await admin('POST', '/v1/admin/provision', {
          email: 'v@example.test',
          displayName: 'V',
          devices: [{ ...device, deviceId: 'nope' }],
        }),
        'body.devices.0.deviceId',
      );
      expectValidation(
        await admin('POST', '/v1/admin/provision', { email: 'v@example.test', displayName: 'V' }),
        'body.devices',
      );
      expectValidation(
        await admin('POST', '/v1/admin/provision', {
          email: 'v@example.test',
          displayName: 'V',
          password: 'short',
          devices: [device],
        }),
        'body.password',
      );
      expect(
        await provider.app.keyport.registry.db
          .selectFrom('users')
          .select('user_id')
          .where('email', '=', 'v@example.test')
          .execute(),
      ).toEqual([]);
    });
  });

  describe('POST /v1/admin/software', () => {
    it('adds a program: 201 {software}; it is not listed until it has a release', async () => {
      const response = await createSoftware('new-program', { name: 'New Program', priceCents: 2500 });
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        software: {
          softwareId: 'new-program',
          name: 'New Program',
          summary: 'About new-program',
          priceCents: 2500,
          currency: 'EUR',
          createdAt: provider.clock.now().toISOString(),
        },
      });
      expectProblem(await provider.api('GET', '/v1/catalog/new-program'), 404, 'NOT_FOUND');
      expect((await allEvents()).filter((e) => e.type === 'software.created')).toEqual(
        expect.arrayContaining([expect.objectContaining({ softwareId: 'new-program' })]),
      );
    });

    it('refuses an existing software ID: 409 ALREADY_EXISTS, keeping the original', async () => {
      expect((await createSoftware('dup-program', { name: 'Original' })).status).toBe(201);
      expectProblem(await createSoftware('dup-program', { name: 'Impostor' }), 409, 'ALREADY_EXISTS');
      const row = await provider.app.keyport.registry.db
        .selectFrom('software')
        .select('name')
        .where('software_id', '=', 'dup-program')
        .executeTakeFirstOrThrow();
      expect(row.name).toBe('Original');
    });

    it('refuses malformed bodies with 400 VALIDATION', async () => {
      expectValidation(await createSoftware('Not_A_Slug'), 'body.softwareId');
      expectValidation(await createSoftware('x'), 'body.softwareId');
      expectValidation(await createSoftware('bad-currency', { currency: 'usd' }), 'body.currency');
      expectValidation(await createSoftware('bad-price', { priceCents: -1 }), 'body.priceCents');
      expectValidation(await createSoftware('bad-price', { priceCents: 9.99 }), 'body.priceCents');
      expectValidation(await createSoftware('extra-field', { vendor: 'ACME' }));
    });
  });

  describe('POST /v1/admin/software/:softwareId/releases', () => {
    it('publishes a .tar.gz: 201 {release}, stored content-addressed, and the program is listed', async () => {
      expect((await createSoftware('released')).status).toBe(201);
      const archive = await smallPackage('0.9.0');
      const digest = createHash('sha256').update(archive).digest('hex');
      const response = await upload('released', archive);
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        release: {
          version: '0.9.0',
          sha256: digest,
          sizeBytes: archive.length,
          ...(await expansionOf(archive)),
          entry: 'main.mjs',
          publishedAt: provider.clock.now().toISOString(),
        },
      });
      const stored = await readFile(
        path.join(provider.dataDir, 'artifacts', 'sha256', digest.slice(0, 2), digest),
      );
      expect(stored.equals(archive)).toBe(true);
      const listed = await provider.api('GET', '/v1/catalog/released');
      expect(listed.body.software).toMatchObject({ version: '0.9.0', sizeBytes: archive.length });
      const published = (await allEvents()).filter((e) => e.type === 'release.published');
      expect(published).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ softwareId: 'released', data: { version: '0.9.0', sha256: digest } }),
        ]),
      );
    });

    it('accepts application/x-gzip and application/octet-stream too', async () => {
      expect((await createSoftware('other-types')).status).toBe(201);
      expect((await upload('other-types', await smallPackage('1.0.0'), 'application/x-gzip')).status).toBe(
        201,
      );
      expect(
        (await upload('other-types', await smallPackage('1.0.1'), 'application/octet-stream')).status,
      ).toBe(201);
    });

    it('refuses a package that is not a valid Keyport .tar.gz with 400 VALIDATION', async () => {
      expect((await createSoftware('broken')).status).toBe(201);
      const cases: Array<[string, Buffer | string]> = [
        ['not gzip', 'just some text'],
        ['empty', Buffer.alloc(0)],
        ['gzip, not tar', gzipSync(Buffer.from('not a tar archive at all'))],
        ['no manifest', await packFiles({ 'main.mjs': 'console.log(1);\n' })],
        ['manifest not JSON', await packFiles({ 'keyport.json': '{version', 'main.mjs': '' })],
        [
          'entry missing',
          await packFiles({
            'keyport.json': JSON.stringify({ version: '1.0.0', entry: 'gone.mjs' }),
            'main.mjs': '',
          }),
        ],
        [
          'bad version',
          await packFiles({
            'keyport.json': JSON.stringify({ version: 'one point oh', entry: 'main.mjs' }),
            'main.mjs': '',
          }),
        ],
        [
          'entry outside',
          await packFiles({
            'keyport.json': JSON.stringify({ version: '1.0.0', entry: '../main.mjs' }),
            'main.mjs': '',
          }),
        ],
      ];
      for (const [label, archive] of cases) {
        const response = await upload('broken', archive);
        expect({ label, status: response.status }).toEqual({ label, status: 400 });
        expectValidation(response);
      }
      expectProblem(await provider.api('GET', '/v1/catalog/broken'), 404, 'NOT_FOUND');
    });

    it('answers 404 NOT_FOUND for software that does not exist', async () => {
      expectProblem(await upload('no-such-software', await smallPackage()), 404, 'NOT_FOUND');
    });

    it('refuses a version already published: 409 ALREADY_EXISTS', async () => {
      expect((await createSoftware('versioned')).status).toBe(201);
      expect((await upload('versioned', await smallPackage('2.0.0'))).status).toBe(201);
      const again = await upload(
        'versioned',
        await smallPackage('2.0.0', { 'extra.txt': 'different bytes' }),
      );
      expectProblem(again, 409, 'ALREADY_EXISTS');
      const releases = await provider.api('GET', '/v1/catalog/versioned');
      expect(releases.body.software.releases).toHaveLength(1);
    });

    it('refuses an upload over the size limit: 413 PAYLOAD_TOO_LARGE', async () => {
      expect((await createSoftware('huge')).status).toBe(201);
      const response = await upload('huge', randomBytes(MAX_RELEASE_BYTES + 1));
      expectProblem(response, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('refuses a body that is not a package type: 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      expect((await createSoftware('typed')).status).toBe(201);
      expectProblem(
        await upload('typed', await smallPackage(), 'application/xml'),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expectProblem(
        await upload('typed', await smallPackage(), 'application/zip'),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
    });

    it('refuses a software ID that is not a slug with 400 VALIDATION', async () => {
      expectValidation(await upload('Bad_Slug', await smallPackage()), 'params.softwareId');
    });
  });

  describe('GET /v1/admin/events', () => {
    it('lists audit events oldest first with increasing IDs', async () => {
      const events = await allEvents();
      expect(events.length).toBeGreaterThan(5);
      const ids = events.map((e) => e.eventId);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(ids.length);
      const nullableString = (value: unknown) => value === null || typeof value === 'string';
      for (const event of events) {
        expect(Object.keys(event).sort()).toEqual(
          ['copyId', 'createdAt', 'data', 'deviceId', 'eventId', 'softwareId', 'type', 'userId'].sort(),
        );
        const { userId, softwareId, deviceId, copyId, data, createdAt } = event as Record<string, unknown>;
        expect([userId, softwareId, deviceId, copyId].every(nullableString)).toBe(true);
        expect(typeof data).toBe('object');
        expect(new Date(createdAt as string).toISOString()).toBe(createdAt);
      }
    });

    it('pages with `after` and `limit`: walking pages of 3 gives every event once, in order', async () => {
      const all = await allEvents();
      const walked: number[] = [];
      let after = 0;
      for (let page = 0; page < 100; page++) {
        const response = await provider.api('GET', `/v1/admin/events?after=${after}&limit=3`, {
          token: provider.adminToken,
        });
        expect(response.status).toBe(200);
        const ids = response.body.events.map((e: { eventId: number }) => e.eventId);
        expect(ids.length).toBeLessThanOrEqual(3);
        expect(ids.every((id: number) => id > after)).toBe(true);
        if (ids.length === 0) {
          expect(response.body.nextAfter).toBe(after);
          break;
        }
        expect(response.body.nextAfter).toBe(ids.at(-1));
        walked.push(...ids);
        after = response.body.nextAfter;
      }
      expect(walked).toEqual(all.map((e) => e.eventId));

      const middle = all[2]!.eventId;
      const fromMiddle = await provider.api('GET', `/v1/admin/events?after=${middle}`, {
        token: provider.adminToken,
      });
      expect(fromMiddle.body.events.map((e: { eventId: number }) => e.eventId)).toEqual(
        all.filter((e) => e.eventId > middle).map((e) => e.eventId),
      );
    });

    it('refuses bad paging parameters with 400 VALIDATION', async () => {
      for (const query of ['after=-1', 'after=abc', 'limit=0', 'limit=501', 'since=1']) {
        expectValidation(
          await provider.api('GET', `/v1/admin/events?${query}`, { token: provider.adminToken }),
        );
      }
    });
  });
});

/** What node-tar (not the provider's own reader) says the archive expands to. */
async function expansionOf(archive: Buffer): Promise<{ expandedBytes: number; entryCount: number }> {
  const figures = { expandedBytes: 0, entryCount: 0 };
  const parser = new Parser({
    onReadEntry: (entry) => {
      figures.expandedBytes += entry.size;
      figures.entryCount += 1;
      entry.resume();
    },
  });
  await new Promise((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    parser.end(archive);
  });
  return figures;
}
