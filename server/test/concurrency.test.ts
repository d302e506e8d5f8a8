/**
 * Invariants 1 and 3 under load: whatever runs at once — transfers racing for one copy,
 * redeems racing for one transaction ID, retried purchases and transfers with one
 * Idempotency-Key, purchases racing for one program, recoveries of one changed machine
 * racing each other and transfers — the registry ends with exactly one registration per
 * copy, one key per transaction ID, one charge per order, one recovery per old device,
 * and the losers get a documented 4xx problem (or the winner's answer), never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buyAndLicense,
  createUser,
  enrol,
  enrolReporting,
  machineComponents,
  publishSoftware,
  randomDeviceId,
  startProvider,
  withChanged,
  type ApiResponse,
  type TestProvider,
} from '../../test-support/provider-harness.ts';
import { expectProblem } from '../../test-support/problem-assertions.ts';

let provider: TestProvider;
const db = () => provider.app.keyport.registry.db;

beforeAll(async () => {
  provider = await startProvider({ settings: { deviceLimit: 60 } });
});
afterAll(() => provider.close());

function statusCounts(responses: ApiResponse[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of responses) {
    const key = r.status >= 400 ? `${r.status} ${r.body.code}` : String(r.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('50 parallel transfers of one copy to 50 destinations', () => {
  it('lets exactly one win and leaves exactly one registration, on the winner', async () => {
    const { token } = await createUser(provider, 'mover');
    const source = await enrol(provider, token, 'Source');
    const destinations: string[] = [];
    for (let i = 0; i < 50; i++) destinations.push(await enrol(provider, token, `Destination ${i}`));
    await publishSoftware(provider, 'race-transfer');
    const purchase = await provider.api('POST', '/v1/purchases', {
      token,
      body: { softwareId: 'race-transfer', deviceId: source },
    });
    expect(purchase.status).toBe(201);
    const copyId: string = purchase.body.purchase.copyId;

    const responses = await Promise.all(
      destinations.map((destinationDeviceId) =>
        provider.api('POST', '/v1/transfers', {
          token,
          body: { softwareId: 'race-transfer', sourceDeviceId: source, destinationDeviceId },
        }),
      ),
    );

    expect(statusCounts(responses)).toEqual({ '201': 1, '403 NOT_REGISTERED': 49 });
    const winner = responses.find((r) => r.status === 201)!;
    for (const loser of responses.filter((r) => r !== winner)) expectProblem(loser, 403, 'NOT_REGISTERED');
    const winningDestination: string = winner.body.transfer.destinationDeviceId;
    expect(destinations).toContain(winningDestination);
    expect(winner.body.transfer).toMatchObject({
      copyId,
      sourceDeviceId: source,
      softwareId: 'race-transfer',
    });

    const rows = await db().selectFrom('registrations').selectAll().where('copy_id', '=', copyId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ device_id: winningDestination, software_id: 'race-transfer' });
    const transfers = await db().selectFrom('transfers').selectAll().where('copy_id', '=', copyId).execute();
    expect(transfers).toHaveLength(1);
    expect(transfers[0]!.transfer_id).toBe(winner.body.transfer.transferId);

    const events = await db()
      .selectFrom('audit_events')
      .selectAll()
      .where('copy_id', '=', copyId)
      .where('type', '=', 'registration.transferred')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]!.device_id).toBe(winningDestination);
    expect(JSON.parse(events[0]!.data)).toMatchObject({
      sourceDeviceId: source,
      destinationDeviceId: winningDestination,
    });

    // The API agrees with the rows: the registered information shows only the winner.
    const listed = await provider.api('GET', '/v1/registrations', { token });
    expect(listed.body.registrations).toEqual([
      expect.objectContaining({ copyId, deviceId: winningDestination }),
    ]);
  });
});

describe('20 parallel redeems of one transaction ID', () => {
  it('issues exactly one license key', async () => {
    const { token, user } = await createUser(provider, 'redeemer');
    const deviceId = await enrol(provider, token);
    await publishSoftware(provider, 'race-redeem');
    const purchase = await provider.api('POST', '/v1/purchases', {
      token,
      body: { softwareId: 'race-redeem', deviceId },
    });
    expect(purchase.status).toBe(201);
    const requested = await provider.api('POST', '/v1/licenses/requests', {
      token,
      body: { softwareId: 'race-redeem', deviceId },
    });
    expect(requested.status).toBe(201);
    const { transactionId } = requested.body;

    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        provider.api('POST', '/v1/licenses/redeem', { token, body: { transactionId, deviceId } }),
      ),
    );

    expect(statusCounts(responses)).toEqual({ '200': 1, '409 TRANSACTION_USED': 19 });
    const winner = responses.find((r) => r.status === 200)!;
    expect(typeof winner.body.licenseKey).toBe('string');
    expect(winner.body.claims).toMatchObject({ sw: 'race-redeem', dev: deviceId, usr: user.userId });
    for (const loser of responses.filter((r) => r !== winner)) expectProblem(loser, 409, 'TRANSACTION_USED');

    const licenses = await db()
      .selectFrom('licenses')
      .selectAll()
      .where('user_id', '=', user.userId)
      .execute();
    expect(licenses).toHaveLength(1);
    expect(licenses[0]!.jti).toBe(winner.body.claims.jti);
  });
});

describe('Idempotency-Key', () => {
  let token: string;
  let userId: string;
  let deviceA: string;
  let deviceB: string;

  beforeAll(async () => {
    const created = await createUser(provider, 'retrier');
    token = created.token;
    userId = created.user.userId;
    deviceA = await enrol(provider, token, 'A');
    deviceB = await enrol(provider, token, 'B');
    await publishSoftware(provider, 'retry-buy', { priceCents: 4200 });
  });

  it('answers 10 parallel retries of one purchase with the one first result', async () => {
    const key = `purchase-${randomDeviceId().slice(0, 16)}`;
    const body = { softwareId: 'retry-buy', deviceId: deviceA };
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        provider.api('POST', '/v1/purchases', { token, body, headers: { 'idempotency-key': key } }),
      ),
    );

    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
    const first = responses[0]!.body;
    expect(first.purchase).toMatchObject({ softwareId: 'retry-buy', deviceId: deviceA, priceCents: 4200 });
    for (const r of responses) expect(r.body).toEqual(first);
    const replayed = responses.map((r) => r.headers.get('idempotent-replayed'));
    expect(replayed.filter((h) => h === 'true')).toHaveLength(9);
    expect(replayed.filter((h) => h === null)).toHaveLength(1);

    const purchases = await db().selectFrom('purchases').selectAll().where('user_id', '=', userId).execute();
    expect(purchases).toHaveLength(1);
    expect(purchases[0]!.purchase_id).toBe(first.purchase.purchaseId);
    const registrations = await db()
      .selectFrom('registrations')
      .selectAll()
      .where('user_id', '=', userId)
      .execute();
    expect(registrations).toHaveLength(1);
    const charged = await db()
      .selectFrom('audit_events')
      .select('event_id')
      .where('user_id', '=', userId)
      .where('type', '=', 'registration.purchased')
      .execute();
    expect(charged).toHaveLength(1);

    // A later retry (after the fact) still replays, and the same key for another request is refused.
    const late = await provider.api('POST', '/v1/purchases', {
      token,
      body,
      headers: { 'idempotency-key': key },
    });
    expect(late.status).toBe(201);
    expect(late.body).toEqual(first);
    expect(late.headers.get('idempotent-replayed')).toBe('true');
    const reused = await provider.api('POST', '/v1/purchases', {
      token,
      body: { softwareId: 'retry-buy', deviceId: deviceB },
      headers: { 'idempotency-key': key },
    });
    expectProblem(reused, 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(
      await db().selectFrom('purchases').selectAll().where('user_id', '=', userId).execute(),
    ).toHaveLength(1);
  });

  it('moves a copy once however often a transfer is retried', async () => {
    const [copy] = await db().selectFrom('registrations').selectAll().where('user_id', '=', userId).execute();
    expect(copy?.device_id).toBe(deviceA);
    const key = `transfer-${randomDeviceId().slice(0, 16)}`;
    const body = { softwareId: 'retry-buy', sourceDeviceId: deviceA, destinationDeviceId: deviceB };
    const send = () =>
      provider.api('POST', '/v1/transfers', { token, body, headers: { 'idempotency-key': key } });

    const [one, two] = await Promise.all([send(), send()]);
    expect([one!.status, two!.status]).toEqual([201, 201]);
    expect(two!.body).toEqual(one!.body);
    expect([one!.headers.get('idempotent-replayed'), two!.headers.get('idempotent-replayed')].sort()).toEqual(
      [null, 'true'].sort(),
    );
    const transferId: string = one!.body.transfer.transferId;

    // Move it back with a new key; a late retry of the first key must not move it again.
    const back = await provider.api('POST', '/v1/transfers', {
      token,
      body: { softwareId: 'retry-buy', sourceDeviceId: deviceB, destinationDeviceId: deviceA },
      headers: { 'idempotency-key': `${key}-back` },
    });
    expect(back.status).toBe(201);
    const retry = await send();
    expect(retry.status).toBe(201);
    expect(retry.body.transfer.transferId).toBe(transferId);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');

    const registrations = await db()
      .selectFrom('registrations')
      .selectAll()
      .where('copy_id', '=', copy!.copy_id)
      .execute();
    expect(registrations.map((r) => r.device_id)).toEqual([deviceA]);
    const transfers = await db()
      .selectFrom('transfers')
      .selectAll()
      .where('copy_id', '=', copy!.copy_id)
      .execute();
    expect(transfers).toHaveLength(2);
    const moves = await db()
      .selectFrom('audit_events')
      .select('event_id')
      .where('copy_id', '=', copy!.copy_id)
      .where('type', '=', 'registration.transferred')
      .execute();
    expect(moves).toHaveLength(2);

    // The same key with a different transfer is refused and moves nothing.
    const reused = await provider.api('POST', '/v1/transfers', {
      token,
      body: { softwareId: 'retry-buy', sourceDeviceId: deviceA, destinationDeviceId: deviceB },
      headers: { 'idempotency-key': `${key}-back` },
    });
    expectProblem(reused, 422, 'IDEMPOTENCY_KEY_REUSED');
    const after = await db()
      .selectFrom('registrations')
      .selectAll()
      .where('copy_id', '=', copy!.copy_id)
      .execute();
    expect(after.map((r) => r.device_id)).toEqual([deviceA]);
  });

  it('keeps keys per user: another user with the same key gets their own result', async () => {
    const other = await createUser(provider, 'other-retrier');
    const device = await enrol(provider, other.token);
    const key = 'shared-key-0123456789';
    await publishSoftware(provider, 'per-user-key');
    const first = await provider.api('POST', '/v1/purchases', {
      token,
      body: { softwareId: 'per-user-key', deviceId: deviceA },
      headers: { 'idempotency-key': key },
    });
    expect(first.status).toBe(201);
    const theirs = await provider.api('POST', '/v1/purchases', {
      token: other.token,
      body: { softwareId: 'per-user-key', deviceId: device },
      headers: { 'idempotency-key': key },
    });
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(theirs.body.purchase.purchaseId).not.toBe(first.body.purchase.purchaseId);
    expect(theirs.body.purchase.deviceId).toBe(device);
  });
});

describe('parallel purchases of one program for two devices of one user', () => {
  it('registers one copy and answers the rest ALREADY_REGISTERED, never 500', async () => {
    const { token, user } = await createUser(provider, 'double-buyer');
    const first = await enrol(provider, token, 'One');
    const second = await enrol(provider, token, 'Two');
    await publishSoftware(provider, 'race-buy');

    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        provider.api('POST', '/v1/purchases', {
          token,
          body: { softwareId: 'race-buy', deviceId: i % 2 === 0 ? first : second },
        }),
      ),
    );

    expect(statusCounts(responses)).toEqual({ '201': 1, '409 ALREADY_REGISTERED': 11 });
    for (const r of responses.filter((response) => response.status !== 201)) {
      expectProblem(r, 409, 'ALREADY_REGISTERED');
    }
    const winner = responses.find((r) => r.status === 201)!;
    const registrations = await db()
      .selectFrom('registrations')
      .selectAll()
      .where('user_id', '=', user.userId)
      .where('software_id', '=', 'race-buy')
      .execute();
    expect(registrations).toHaveLength(1);
    expect(registrations[0]!.device_id).toBe(winner.body.purchase.deviceId);
    const purchases = await db()
      .selectFrom('purchases')
      .selectAll()
      .where('user_id', '=', user.userId)
      .where('software_id', '=', 'race-buy')
      .execute();
    expect(purchases).toHaveLength(1);
  });
});

describe('50 parallel recoveries of one changed machine', () => {
  const PROGRAMS = ['race-recover-a', 'race-recover-b', 'race-recover-c'];
  beforeAll(async () => {
    for (const softwareId of PROGRAMS) await publishSoftware(provider, softwareId);
  });

  /** A user's desk PC holding every program, and the same desk under a new device ID. */
  async function changedDesk(label: string) {
    const { token, user } = await createUser(provider, label);
    const desk = machineComponents(`${label}-desk`);
    const old = await enrolReporting(provider, token, { name: 'Desk PC', components: desk });
    for (const softwareId of PROGRAMS) await buyAndLicense(provider, token, softwareId, old.deviceId);
    const fresh = await enrolReporting(provider, token, { components: withChanged(desk, 'disk.serial') });
    expect(fresh.body.recognisedAs?.deviceId).toBe(old.deviceId);
    const copies = await db()
      .selectFrom('registrations')
      .select(['copy_id', 'software_id'])
      .where('user_id', '=', user.userId)
      .execute();
    expect(copies).toHaveLength(PROGRAMS.length);
    return { token, userId: user.userId, oldDevice: old.deviceId, newDevice: fresh.deviceId, copies };
  }

  /** Each copy is registered exactly once, on `deviceId`. */
  async function expectEachCopyOnceOn(copyIds: string[], deviceId: string) {
    for (const copyId of copyIds) {
      const rows = await db().selectFrom('registrations').selectAll().where('copy_id', '=', copyId).execute();
      expect(
        rows.map((r) => r.device_id),
        copyId,
      ).toEqual([deviceId]);
    }
  }

  it('make one recovery: one 201, the rest 200 with the same recoveryId; each copy moved once', async () => {
    const { token, userId, oldDevice, newDevice, copies } = await changedDesk('race-recoverer');

    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        provider.api('POST', `/v1/devices/${newDevice}/recover`, {
          token,
          body: { fromDeviceId: oldDevice },
        }),
      ),
    );

    expect(statusCounts(responses)).toEqual({ '201': 1, '200': 49 });
    const first = responses.find((r) => r.status === 201)!.body;
    for (const r of responses) expect(r.body).toEqual(first);
    expect(first.recovery.copies).toHaveLength(PROGRAMS.length);

    await expectEachCopyOnceOn(
      copies.map((c) => c.copy_id),
      newDevice,
    );
    const recoveries = await db()
      .selectFrom('recoveries')
      .selectAll()
      .where('user_id', '=', userId)
      .execute();
    expect(recoveries.map((r) => r.recovery_id)).toEqual([first.recovery.recoveryId]);
    const transfers = await db().selectFrom('transfers').selectAll().where('user_id', '=', userId).execute();
    expect(transfers).toHaveLength(PROGRAMS.length);
    const events = await db()
      .selectFrom('audit_events')
      .select('type')
      .where('user_id', '=', userId)
      .where('type', 'in', ['device.recovered', 'device.retired', 'registration.transferred'])
      .execute();
    expect(events.map((e) => e.type).sort()).toEqual(
      ['device.recovered', 'device.retired', ...PROGRAMS.map(() => 'registration.transferred')].sort(),
    );
    expect(
      await db().selectFrom('devices').select('device_id').where('device_id', '=', oldDevice).execute(),
    ).toEqual([]);
  });

  it('with one Idempotency-Key: every answer is the first one, replayed', async () => {
    const { token, userId, oldDevice, newDevice, copies } = await changedDesk('race-recover-keyed');
    const key = `recover-${randomDeviceId().slice(0, 16)}`;

    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        provider.api('POST', `/v1/devices/${newDevice}/recover`, {
          token,
          body: { fromDeviceId: oldDevice },
          headers: { 'idempotency-key': key },
        }),
      ),
    );

    expect(statusCounts(responses)).toEqual({ '201': 50 });
    const first = responses[0]!.body;
    for (const r of responses) expect(r.body).toEqual(first);
    const replayed = responses.map((r) => r.headers.get('idempotent-replayed'));
    expect(replayed.filter((h) => h === null)).toHaveLength(1);
    await expectEachCopyOnceOn(
      copies.map((c) => c.copy_id),
      newDevice,
    );
    expect(
      await db().selectFrom('recoveries').selectAll().where('user_id', '=', userId).execute(),
    ).toHaveLength(1);
  });

  it('racing transfers out of the old device: every copy ends on exactly one device, never a 500', async () => {
    const { token, userId, oldDevice, newDevice, copies } = await changedDesk('race-recover-vs-transfer');
    const third = await enrol(provider, token, 'Third');

    const requests = Array.from({ length: 30 }, (_, i) =>
      i % 3 === 0
        ? provider.api('POST', `/v1/devices/${newDevice}/recover`, {
            token,
            body: { fromDeviceId: oldDevice },
          })
        : provider.api('POST', '/v1/transfers', {
            token,
            body: {
              softwareId: PROGRAMS[i % PROGRAMS.length],
              sourceDeviceId: oldDevice,
              destinationDeviceId: third,
            },
          }),
    );
    const responses = await Promise.all(requests);

    for (const r of responses) expect(r.status, JSON.stringify(r.body)).toBeLessThan(500);
    const recovered = responses.filter((r) => r.body.recovery);
    expect(recovered.length).toBe(10);
    const recoveryIds = new Set(recovered.map((r) => r.body.recovery.recoveryId));
    expect(recoveryIds.size).toBe(1);
    const [recovery] = recovered.map((r) => r.body.recovery);
    const movedByRecovery = new Set(recovery.copies.map((c: { copyId: string }) => c.copyId));
    for (const { copy_id: copyId } of copies) {
      const rows = await db().selectFrom('registrations').selectAll().where('copy_id', '=', copyId).execute();
      expect(rows, copyId).toHaveLength(1);
      // Moved by the recovery, or by a transfer that got there first: never both, never lost.
      expect(rows[0]!.device_id).toBe(movedByRecovery.has(copyId) ? newDevice : third);
    }
    const transfers = await db().selectFrom('transfers').selectAll().where('user_id', '=', userId).execute();
    expect(transfers).toHaveLength(PROGRAMS.length);
    expect(
      await db().selectFrom('devices').select('device_id').where('device_id', '=', oldDevice).execute(),
    ).toEqual([]);
  });
});
