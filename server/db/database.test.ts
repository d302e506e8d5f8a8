/**
 * The registry database layer on whichever database the suite runs against (SQLite,
 * or PostgreSQL when KEYPORT_TEST_DATABASE_URL is set): the dialect really is the one
 * asked for, numbers come back as numbers, the races PostgreSQL's SERIALIZABLE retry
 * must settle (same Idempotency-Key, same device, device limit, rate-limit counters)
 * settle the way they do on SQLite's single writer, readiness reports the database,
 * and the secrets several instances must share are shared.
 */
import { stat } from 'node:fs/promises';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describePostgresUrl, isUniqueViolation, openPostgres } from './database.ts';
import { sharedAdminToken } from '../lib/admin-token.ts';
import { LicenseSigner } from '../lib/license-signer.ts';
import { RateLimiter } from '../lib/rate-limit.ts';
import { sha256Hex } from '../lib/secrets.ts';
import {
  createUser,
  enrol,
  publishSoftware,
  randomDeviceId,
  startProvider,
  type ApiResponse,
  type TestProvider,
} from '../../test-support/provider-harness.ts';
import { expectProblem } from '../../test-support/problem-assertions.ts';
import { createTestDatabase, testDatabaseKind } from '../../test-support/test-database.ts';
import { skipNote } from '../../test-support/skip-note.ts';

const onPostgres = testDatabaseKind() === 'postgres';

function statuses(responses: ApiResponse[]): number[] {
  return responses.map((r) => r.status).sort();
}

describe(`registry database (${testDatabaseKind()})`, () => {
  let provider: TestProvider;
  const db = () => provider.app.keyport.registry.db;

  beforeAll(async () => {
    provider = await startProvider({ settings: { deviceLimit: 60 } });
  });
  afterAll(() => provider.close());

  it('runs on the database the suite was asked for, and readiness says which', async () => {
    expect(provider.app.keyport.registry.dialect).toBe(testDatabaseKind());
    const ready = await provider.api('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', database: testDatabaseKind() });
  });

  it('reads sizes, event IDs and counts as numbers', async () => {
    await publishSoftware(provider, 'numbers-app');
    const release = await db()
      .selectFrom('releases')
      .selectAll()
      .where('software_id', '=', 'numbers-app')
      .executeTakeFirstOrThrow();
    expect(typeof release.size_bytes).toBe('number');
    const event = await db().selectFrom('audit_events').select('event_id').executeTakeFirstOrThrow();
    expect(typeof event.event_id).toBe('number');
    const { count } = await db()
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    expect(typeof count).toBe('number');
  });

  it('recognises a unique violation as one', async () => {
    const row = { name: 'unique-probe', value: 'x', created_at: new Date().toISOString() };
    await db().insertInto('provider_secrets').values(row).execute();
    const error = await db()
      .insertInto('provider_secrets')
      .values(row)
      .execute()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isUniqueViolation(error)).toBe(true);
    expect(isUniqueViolation(new Error('something else'))).toBe(false);
  });

  it('replays one purchase to 20 concurrent requests with the same Idempotency-Key', async () => {
    const { token } = await createUser(provider, 'same-key-buyer');
    const deviceId = await enrol(provider, token);
    await publishSoftware(provider, 'same-key-app');
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        provider.api('POST', '/v1/purchases', {
          token,
          headers: { 'idempotency-key': 'same-key-1' },
          body: { softwareId: 'same-key-app', deviceId },
        }),
      ),
    );
    expect(statuses(responses)).toEqual(Array(20).fill(201));
    const purchaseIds = new Set(responses.map((r) => r.body.purchase.purchaseId));
    expect(purchaseIds.size).toBe(1);
    const rows = await db()
      .selectFrom('purchases')
      .select('purchase_id')
      .where('software_id', '=', 'same-key-app')
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('moves a copy once for 20 concurrent transfers with the same Idempotency-Key', async () => {
    const { token } = await createUser(provider, 'same-key-mover');
    const [source, destination] = [await enrol(provider, token), await enrol(provider, token)];
    await publishSoftware(provider, 'same-key-move');
    const bought = await provider.api('POST', '/v1/purchases', {
      token,
      body: { softwareId: 'same-key-move', deviceId: source },
    });
    expect(bought.status).toBe(201);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        provider.api('POST', '/v1/transfers', {
          token,
          headers: { 'idempotency-key': 'move-once' },
          body: { softwareId: 'same-key-move', sourceDeviceId: source, destinationDeviceId: destination },
        }),
      ),
    );
    expect(statuses(responses)).toEqual(Array(20).fill(201));
    expect(new Set(responses.map((r) => r.body.transfer.transferId)).size).toBe(1);
    const transfers = await db()
      .selectFrom('transfers')
      .select('transfer_id')
      .where('software_id', '=', 'same-key-move')
      .execute();
    expect(transfers).toHaveLength(1);
  });

  it('enrols a device once when the same user enrols it 10 times at once', async () => {
    const { token } = await createUser(provider, 'eager-enroller');
    const deviceId = randomDeviceId();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        provider.api('POST', '/v1/devices', { token, body: { deviceId, name: 'Laptop', platform: 'linux' } }),
      ),
    );
    expect(statuses(responses)).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const events = await db()
      .selectFrom('audit_events')
      .select('event_id')
      .where('device_id', '=', deviceId)
      .where('type', '=', 'device.enrolled')
      .execute();
    expect(events).toHaveLength(1);
  });

  it('gives a device to exactly one of two users enrolling it at once', async () => {
    const [alice, bob] = [await createUser(provider, 'alice'), await createUser(provider, 'bob')];
    const deviceId = randomDeviceId();
    const responses = await Promise.all(
      [alice, bob, alice, bob, alice, bob].map(({ token }) =>
        provider.api('POST', '/v1/devices', { token, body: { deviceId, name: 'Shared', platform: 'linux' } }),
      ),
    );
    const owner = await db()
      .selectFrom('devices')
      .select('user_id')
      .where('device_id', '=', deviceId)
      .execute();
    expect(owner).toHaveLength(1);
    for (const response of responses.filter((r) => r.status >= 400))
      expectProblem(response, 409, 'DEVICE_TAKEN');
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409)).toHaveLength(3);
  });

  it('holds the device limit when 10 devices are enrolled at once', async () => {
    const limited = await startProvider({ settings: { deviceLimit: 3 } });
    try {
      const { token } = await createUser(limited, 'many-devices');
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          limited.api('POST', '/v1/devices', {
            token,
            body: { deviceId: randomDeviceId(), name: `Device ${i}`, platform: 'linux' },
          }),
        ),
      );
      expect(responses.filter((r) => r.status === 201)).toHaveLength(3);
      for (const response of responses.filter((r) => r.status !== 201))
        expectProblem(response, 409, 'DEVICE_LIMIT');
      const listed = await limited.api('GET', '/v1/devices', { token });
      expect(listed.body.devices).toHaveLength(3);
    } finally {
      await limited.close();
    }
  });

  it('counts every one of 50 concurrent rate-limit hits, and lets exactly max through', async () => {
    const limiter = new RateLimiter(provider.app.keyport.registry, true, () => new Date());
    const limit = { max: 10, windowSeconds: 60 };
    await Promise.all(Array.from({ length: 50 }, () => limiter.hit('test:counted', limit)));
    const counted = await db()
      .selectFrom('rate_limits')
      .select('hits')
      .where('bucket', '=', 'test:counted')
      .executeTakeFirstOrThrow();
    expect(counted.hits).toBe(50);

    const taken = await Promise.allSettled(
      Array.from({ length: 30 }, () => limiter.take('test:taken', limit)),
    );
    expect(taken.filter((t) => t.status === 'fulfilled')).toHaveLength(10);
    for (const refused of taken.filter((t) => t.status === 'rejected'))
      expect((refused as PromiseRejectedResult).reason).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('starts a new window once the old one has passed', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const limiter = new RateLimiter(provider.app.keyport.registry, true, () => new Date(now));
    const limit = { max: 2, windowSeconds: 60 };
    await limiter.take('test:window', limit);
    await limiter.take('test:window', limit);
    await expect(limiter.take('test:window', limit)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    now += 61_000;
    await expect(limiter.take('test:window', limit)).resolves.toBeUndefined();
    const row = await db()
      .selectFrom('rate_limits')
      .selectAll()
      .where('bucket', '=', 'test:window')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ hits: 1, window_start: new Date(now).toISOString() });
  });
});

describe('readiness when the database is gone', () => {
  it('answers 503 UNAVAILABLE as problem+json', async () => {
    const provider = await startProvider();
    try {
      await provider.app.keyport.registry.close();
      const ready = await provider.api('GET', '/readyz');
      expectProblem(ready, 503, 'UNAVAILABLE');
    } finally {
      await provider.close();
    }
  });
});

describe('PostgreSQL URLs in logs', () => {
  it('never shows the password or query string', () => {
    expect(describePostgresUrl('postgres://keyport:s3cret@db.example:5433/keyport?sslmode=require')).toBe(
      'postgres://keyport@db.example:5433/keyport',
    );
    expect(describePostgresUrl('postgresql://db.example/keyport')).toBe('postgres://db.example/keyport');
    expect(describePostgresUrl('not a url s3cret')).not.toContain('s3cret');
  });
});

describe('license-signing keys in files (SQLite)', () => {
  it('keeps each key in its own 0600 file and signs with the newest after a rotation', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'keyport-keys-'));
    try {
      const first = await LicenseSigner.open(dir);
      const again = await LicenseSigner.open(dir);
      expect(again.activeKid).toBe(first.activeKid);
      const rotated = await LicenseSigner.open(dir, { rotate: true });
      expect(rotated.activeKid).not.toBe(first.activeKid);
      expect(rotated.jwks.keys.map((k) => k.kid)).toContain(first.activeKid);
      const files = await readdir(dir);
      expect(files).toHaveLength(2);
      for (const file of files) expect((await stat(path.join(dir, file))).mode & 0o777).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!onPostgres)(
  `secrets shared through PostgreSQL${skipNote(onPostgres ? null : 'runs in `npm run test:postgres`')}`,
  () => {
    it('creates exactly one first key when 5 instances start at once', async () => {
      const database = await createTestDatabase();
      const registries = await Promise.all(
        Array.from({ length: 5 }, () => openPostgres(database.url, { poolSize: 2 })),
      );
      try {
        const signers = await Promise.all(registries.map((r) => LicenseSigner.openShared(r.db)));
        expect(new Set(signers.map((s) => s.activeKid)).size).toBe(1);
        const keys = await registries[0]!.db.selectFrom('signing_keys').select('kid').execute();
        expect(keys).toHaveLength(1);
      } finally {
        await Promise.all(registries.map((r) => r.close()));
        await database.drop();
      }
    });

    it('publishes a rotated key at once, signs with it only after the publish delay, and others learn of it', async () => {
      const database = await createTestDatabase();
      const registry = await openPostgres(database.url, { poolSize: 2 });
      try {
        const other = await LicenseSigner.openShared(registry.db);
        const oldKid = other.activeKid;
        const delayed = await LicenseSigner.openShared(registry.db, { rotate: true, publishDelayMs: 60_000 });
        expect(delayed.jwks.keys.map((k) => k.kid)).toHaveLength(2);
        expect(delayed.activeKid).toBe(oldKid);
        const immediate = await LicenseSigner.openShared(registry.db, { rotate: true, publishDelayMs: 0 });
        expect(immediate.activeKid).not.toBe(oldKid);
        expect(immediate.jwks.keys).toHaveLength(3);
        // An instance that was already running picks the new keys up on its next reload.
        await other.reloadNow();
        const claims = { iss: 'keyport', sub: 'c', sw: 's', usr: 'u', dev: 'd', iat: 1, exp: 2, jti: 'j' };
        const token = await other.sign(claims);
        const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
        expect(header.kid).toBe(immediate.activeKid);
        expect(other.jwks.keys).toHaveLength(3);
      } finally {
        await registry.close();
        await database.drop();
      }
    });

    it('lets the first of several instances generate the admin token and every instance accept it', async () => {
      const database = await createTestDatabase();
      const registry = await openPostgres(database.url, { poolSize: 4 });
      const dirs = await Promise.all(
        Array.from({ length: 3 }, () => mkdtemp(path.join(tmpdir(), 'keyport-admin-'))),
      );
      const saved = process.env.KEYPORT_ADMIN_TOKEN;
      delete process.env.KEYPORT_ADMIN_TOKEN;
      try {
        const tokens = await Promise.all(dirs.map((dir) => sharedAdminToken(registry.db, dir)));
        expect(new Set(tokens.map((t) => t.sha256)).size).toBe(1);
        const written = (
          await Promise.all(
            dirs.map((dir) => readFile(path.join(dir, 'admin-token'), 'utf8').catch(() => undefined)),
          )
        ).filter((text): text is string => text !== undefined);
        expect(written).toHaveLength(1);
        expect(sha256Hex(written[0]!.trim())).toBe(tokens[0]!.sha256);
        const stored = await registry.db.selectFrom('provider_secrets').selectAll().execute();
        expect(JSON.stringify(stored)).not.toContain(written[0]!.trim());
      } finally {
        if (saved !== undefined) process.env.KEYPORT_ADMIN_TOKEN = saved;
        await registry.close();
        await database.drop();
        await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
      }
    });
  },
);
