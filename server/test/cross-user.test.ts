/**
 * Invariant 7: no request from one user reads or changes another user's devices,
 * registrations or licenses. User A owns devices, a copy (moved once, so it has a
 * transfer and a revoked license behind it), a live license and a pending transaction
 * ID. User B, signed in with a valid session and a device of its own, tries every
 * authenticated route on A's things: each attempt is refused, and afterwards A's rows
 * are exactly as they were and A can still redeem its transaction ID.
 *
 * The matrix is a table: one line per attempt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUser,
  enrol,
  enrolReporting,
  hexOf,
  license,
  machineComponents,
  publishSoftware,
  randomDeviceId,
  startProvider,
  type TestProvider,
} from '../../test-support/provider-harness.ts';

interface World {
  /** A's devices: `a1` holds the copy, `a2` held it before a transfer, `a3` never held anything. */
  a1: string;
  a2: string;
  a3: string;
  aUserId: string;
  aToken: string;
  aEmail: string;
  aCopyId: string;
  aTransactionId: string;
  aLicenseKey: string;
  aIdempotencyKey: string;
  /** B's own device, and a program B owns on it. */
  b1: string;
  bToken: string;
}

interface Attempt {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: (w: World) => string;
  body?: (w: World) => unknown;
  headers?: (w: World) => Record<string, string>;
  /** B's session unless the route needs another credential to even be tried. */
  status: number;
  code: string;
}

const SW = 'shared-app';
const B_SW = 'b-only-app';

/** Every authenticated route, aimed at A's devices, copy and transaction by B. */
const ATTEMPTS: Attempt[] = [
  // devices
  {
    name: 'rename A’s device',
    method: 'PATCH',
    path: (w) => `/v1/devices/${w.a1}`,
    body: () => ({ name: 'pwned' }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'rename A’s empty device',
    method: 'PATCH',
    path: (w) => `/v1/devices/${w.a3}`,
    body: () => ({ name: 'pwned' }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'retire A’s device with software',
    method: 'DELETE',
    path: (w) => `/v1/devices/${w.a1}`,
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'retire A’s empty device',
    method: 'DELETE',
    path: (w) => `/v1/devices/${w.a3}`,
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'enrol A’s device ID',
    method: 'POST',
    path: () => '/v1/devices',
    body: (w) => ({ deviceId: w.a1, name: 'mine now', platform: 'linux' }),
    status: 409,
    code: 'DEVICE_TAKEN',
  },
  {
    name: 'enrol A’s empty device ID',
    method: 'POST',
    path: () => '/v1/devices',
    body: (w) => ({ deviceId: w.a3, name: 'mine now', platform: 'linux' }),
    status: 409,
    code: 'DEVICE_TAKEN',
  },
  {
    name: 'enrol A’s device ID, reporting other components and an installation',
    method: 'POST',
    path: () => '/v1/devices',
    body: (w) => ({
      deviceId: w.a1,
      name: 'mine now',
      platform: 'linux',
      components: machineComponents('b-machine'),
      installationId: hexOf('b-installation'),
    }),
    status: 409,
    code: 'DEVICE_TAKEN',
  },
  // recoveries (B's device reports A's very components)
  {
    name: 'recover A’s device into B’s',
    method: 'POST',
    path: (w) => `/v1/devices/${w.b1}/recover`,
    body: (w) => ({ fromDeviceId: w.a1 }),
    status: 403,
    code: 'DEVICE_NOT_ENROLLED',
  },
  {
    name: 'recover B’s device into A’s',
    method: 'POST',
    path: (w) => `/v1/devices/${w.a3}/recover`,
    body: (w) => ({ fromDeviceId: w.b1 }),
    status: 403,
    code: 'DEVICE_NOT_ENROLLED',
  },
  {
    name: 'recover between A’s devices',
    method: 'POST',
    path: (w) => `/v1/devices/${w.a3}/recover`,
    body: (w) => ({ fromDeviceId: w.a1 }),
    status: 403,
    code: 'DEVICE_NOT_ENROLLED',
  },
  // purchases
  {
    name: 'buy for A’s device',
    method: 'POST',
    path: () => '/v1/purchases',
    body: (w) => ({ softwareId: SW, deviceId: w.a3 }),
    status: 403,
    code: 'DEVICE_NOT_ENROLLED',
  },
  {
    name: 'buy for A’s device holding the copy',
    method: 'POST',
    path: () => '/v1/purchases',
    body: (w) => ({ softwareId: SW, deviceId: w.a1 }),
    status: 403,
    code: 'DEVICE_NOT_ENROLLED',
  },
  {
    name: 'buy for A’s device with A’s Idempotency-Key',
    method: 'POST',
    path: () => '/v1/purchases',
    body: (w) => ({ softwareId: SW, deviceId: w.a2 }),
    headers: (w) => ({ 'idempotency-key': w.aIdempotencyKey }),
    status: 403,
    code: 'DEVICE_NOT_ENROLLED',
  },
  {
    name: 'buy B’s own program for A’s device',
    method: 'POST',
    path: () => '/v1/purchases',
    body: (w) => ({ softwareId: B_SW, deviceId: w.a3 }),
    status: 403,
    code: 'DEVICE_NOT_ENROLLED',
  },
  // downloads
  {
    name: 'download A’s copy to A’s device',
    method: 'GET',
    path: (w) => `/v1/downloads/${SW}?deviceId=${w.a1}`,
    status: 403,
    code: 'NOT_REGISTERED',
  },
  {
    name: 'download A’s copy to A’s former device',
    method: 'GET',
    path: (w) => `/v1/downloads/${SW}?deviceId=${w.a2}`,
    status: 403,
    code: 'NOT_REGISTERED',
  },
  {
    name: 'download A’s copy to B’s device',
    method: 'GET',
    path: (w) => `/v1/downloads/${SW}?deviceId=${w.b1}`,
    status: 403,
    code: 'NOT_REGISTERED',
  },
  // licenses
  {
    name: 'request a license for A’s device',
    method: 'POST',
    path: () => '/v1/licenses/requests',
    body: (w) => ({ softwareId: SW, deviceId: w.a1 }),
    status: 403,
    code: 'NOT_REGISTERED',
  },
  {
    name: 'request a license for A’s copy on B’s device',
    method: 'POST',
    path: () => '/v1/licenses/requests',
    body: (w) => ({ softwareId: SW, deviceId: w.b1 }),
    status: 403,
    code: 'NOT_REGISTERED',
  },
  {
    name: 'refresh A’s license',
    method: 'POST',
    path: () => '/v1/licenses/refresh',
    body: (w) => ({ softwareId: SW, deviceId: w.a1 }),
    status: 403,
    code: 'NOT_REGISTERED',
  },
  {
    name: 'refresh A’s license as another installation, with other components',
    method: 'POST',
    path: () => '/v1/licenses/refresh',
    body: (w) => ({
      softwareId: SW,
      deviceId: w.a1,
      installationId: hexOf('b-installation'),
      components: machineComponents('b-machine'),
    }),
    status: 403,
    code: 'NOT_REGISTERED',
  },
  // A's revoked license on a2 must not even be told apart from "never registered".
  {
    name: 'refresh A’s revoked license',
    method: 'POST',
    path: () => '/v1/licenses/refresh',
    body: (w) => ({ softwareId: SW, deviceId: w.a2 }),
    status: 403,
    code: 'NOT_REGISTERED',
  },
  {
    name: 'redeem A’s transaction with A’s device',
    method: 'POST',
    path: () => '/v1/licenses/redeem',
    body: (w) => ({ transactionId: w.aTransactionId, deviceId: w.a1 }),
    status: 404,
    code: 'TRANSACTION_UNKNOWN',
  },
  {
    name: 'redeem A’s transaction with B’s device',
    method: 'POST',
    path: () => '/v1/licenses/redeem',
    body: (w) => ({ transactionId: w.aTransactionId, deviceId: w.b1 }),
    status: 404,
    code: 'TRANSACTION_UNKNOWN',
  },
  // transfers
  {
    name: 'move A’s copy from A’s device to B’s',
    method: 'POST',
    path: () => '/v1/transfers',
    body: (w) => ({ softwareId: SW, sourceDeviceId: w.a1, destinationDeviceId: w.b1 }),
    status: 403,
    code: 'DEVICE_NOT_ENROLLED',
  },
  {
    name: 'move A’s copy from B’s device to A’s',
    method: 'POST',
    path: () => '/v1/transfers',
    body: (w) => ({ softwareId: SW, sourceDeviceId: w.b1, destinationDeviceId: w.a1 }),
    status: 403,
    code: 'DEVICE_NOT_ENROLLED',
  },
  {
    name: 'move A’s copy between A’s devices',
    method: 'POST',
    path: () => '/v1/transfers',
    body: (w) => ({ softwareId: SW, sourceDeviceId: w.a1, destinationDeviceId: w.a3 }),
    status: 403,
    code: 'DEVICE_NOT_ENROLLED',
  },
  {
    name: 'move A’s copy between A’s devices with A’s key',
    method: 'POST',
    path: () => '/v1/transfers',
    body: (w) => ({ softwareId: SW, sourceDeviceId: w.a1, destinationDeviceId: w.a2 }),
    headers: (w) => ({ 'idempotency-key': w.aIdempotencyKey }),
    status: 403,
    code: 'DEVICE_NOT_ENROLLED',
  },
  {
    name: 'push B’s copy onto A’s device',
    method: 'POST',
    path: () => '/v1/transfers',
    body: (w) => ({ softwareId: B_SW, sourceDeviceId: w.b1, destinationDeviceId: w.a3 }),
    status: 403,
    code: 'DEVICE_NOT_ENROLLED',
  },
  // admin routes with a user's session
  {
    name: 'provision A’s devices to B',
    method: 'POST',
    path: () => '/v1/admin/provision',
    body: (w) => ({
      email: w.aEmail,
      displayName: 'B',
      password: 'taken over!',
      devices: [{ deviceId: w.a1, name: 'x', platform: 'linux' }],
    }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'read the audit log',
    method: 'GET',
    path: () => '/v1/admin/events',
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'create software',
    method: 'POST',
    path: () => '/v1/admin/software',
    body: () => ({ softwareId: 'b-sneaky', name: 'x', summary: 'x', priceCents: 0, currency: 'USD' }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
];

let provider: TestProvider;
let world: World;
const db = () => provider.app.keyport.registry.db;

async function snapshotOfA(w: World) {
  const deviceIds = [w.a1, w.a2, w.a3];
  const a = w.aUserId;
  return {
    user: await db().selectFrom('users').selectAll().where('user_id', '=', a).execute(),
    devices: await db()
      .selectFrom('devices')
      .selectAll()
      .where('user_id', '=', a)
      .orderBy('device_id')
      .execute(),
    devicesById: await db()
      .selectFrom('devices')
      .selectAll()
      .where('device_id', 'in', deviceIds)
      .orderBy('device_id')
      .execute(),
    registrations: await db().selectFrom('registrations').selectAll().where('user_id', '=', a).execute(),
    registrationsOnADevices: await db()
      .selectFrom('registrations')
      .selectAll()
      .where('device_id', 'in', deviceIds)
      .execute(),
    licenses: await db().selectFrom('licenses').selectAll().where('user_id', '=', a).orderBy('jti').execute(),
    transactions: await db()
      .selectFrom('license_transactions')
      .selectAll()
      .where('user_id', '=', a)
      .orderBy('transaction_hash')
      .execute(),
    purchases: await db().selectFrom('purchases').selectAll().where('user_id', '=', a).execute(),
    transfers: await db().selectFrom('transfers').selectAll().where('user_id', '=', a).execute(),
    idempotencyKeys: await db()
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('user_id', '=', a)
      .orderBy('idempotency_key')
      .orderBy('scope')
      .execute(),
    sessions: await db().selectFrom('sessions').selectAll().where('user_id', '=', a).execute(),
    components: await db()
      .selectFrom('device_components')
      .selectAll()
      .where('device_id', 'in', deviceIds)
      .orderBy('device_id')
      .orderBy('name')
      .execute(),
    installations: await db()
      .selectFrom('device_installations')
      .selectAll()
      .where('device_id', 'in', deviceIds)
      .orderBy('device_id')
      .execute(),
    recoveries: await db().selectFrom('recoveries').selectAll().execute(),
    // Every attempt fails, so nothing at all may be appended to the audit log.
    auditEvents: await db().selectFrom('audit_events').selectAll().orderBy('event_id').execute(),
  };
}

beforeAll(async () => {
  provider = await startProvider();
  await publishSoftware(provider, SW);
  await publishSoftware(provider, B_SW);

  const a = await createUser(provider, 'alice');
  // a1 and a3 report one machine's components (a3 could recover a1), a1 an installation.
  const aMachine = machineComponents('alice-machine');
  const { deviceId: a1 } = await enrolReporting(provider, a.token, {
    name: 'A one',
    components: aMachine,
    installationId: hexOf('alice-installation'),
  });
  const a2 = await enrol(provider, a.token, 'A two');
  const { deviceId: a3 } = await enrolReporting(provider, a.token, { name: 'A three', components: aMachine });
  const aIdempotencyKey = 'alice-purchase-key-1';
  const bought = await provider.api('POST', '/v1/purchases', {
    token: a.token,
    body: { softwareId: SW, deviceId: a2 },
    headers: { 'idempotency-key': aIdempotencyKey },
  });
  expect(bought.status).toBe(201);
  await license(provider, a.token, SW, a2); // revoked by the transfer below
  const moved = await provider.api('POST', '/v1/transfers', {
    token: a.token,
    body: { softwareId: SW, sourceDeviceId: a2, destinationDeviceId: a1 },
    headers: { 'idempotency-key': aIdempotencyKey },
  });
  expect(moved.status).toBe(201);
  const live = await license(provider, a.token, SW, a1);
  const pending = await provider.api('POST', '/v1/licenses/requests', {
    token: a.token,
    body: { softwareId: SW, deviceId: a1 },
  });
  expect(pending.status).toBe(201);

  const b = await createUser(provider, 'bob');
  const { deviceId: b1 } = await enrolReporting(provider, b.token, { name: 'B one', components: aMachine });
  const bBought = await provider.api('POST', '/v1/purchases', {
    token: b.token,
    body: { softwareId: B_SW, deviceId: b1 },
  });
  expect(bBought.status).toBe(201);

  world = {
    a1,
    a2,
    a3,
    aUserId: a.user.userId,
    aToken: a.token,
    aEmail: a.email,
    aCopyId: bought.body.purchase.copyId,
    aTransactionId: pending.body.transactionId,
    aLicenseKey: live.licenseKey,
    aIdempotencyKey,
    b1,
    bToken: b.token,
  };
});
afterAll(() => provider.close());

describe('user B against user A', () => {
  let before: Awaited<ReturnType<typeof snapshotOfA>>;

  beforeAll(async () => {
    before = await snapshotOfA(world);
    // The fixture is what the matrix assumes: a copy on a1, a revoked license on a2, a pending transaction.
    expect(before.registrations).toEqual([
      expect.objectContaining({ device_id: world.a1, copy_id: world.aCopyId }),
    ]);
    expect(before.licenses.filter((l) => l.revoked_at !== null).map((l) => l.device_id)).toEqual([world.a2]);
    expect(before.licenses.filter((l) => l.revoked_at === null).map((l) => l.device_id)).toEqual([world.a1]);
    expect(before.transactions.filter((t) => t.redeemed_at === null)).toHaveLength(1);
    expect(before.transfers).toHaveLength(1);
    expect(before.components.filter((c) => c.device_id === world.a1)).toHaveLength(5);
    expect(before.installations.map((i) => i.device_id)).toEqual([world.a1]);
  });

  it.each(ATTEMPTS)('$name → $status $code', async (attempt) => {
    const body = attempt.body?.(world);
    const response = await provider.api(attempt.method, attempt.path(world), {
      token: world.bToken,
      headers: attempt.headers?.(world),
      ...(body === undefined ? {} : { body }),
    });
    expect({ status: response.status, code: response.body.code }).toEqual({
      status: attempt.status,
      code: attempt.code,
    });
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    // A refusal names nothing of A's: no device, copy, user or transaction ID in the answer.
    const text = JSON.stringify(response.body);
    for (const secret of [world.aUserId, world.aCopyId, world.aTransactionId, world.aEmail]) {
      expect(text).not.toContain(secret);
    }
  });

  it('never lists A’s rows in B’s devices, registrations or transfers', async () => {
    const devices = await provider.api('GET', '/v1/devices', { token: world.bToken });
    expect(devices.status).toBe(200);
    expect(devices.body.devices.map((d: { deviceId: string }) => d.deviceId)).toEqual([world.b1]);

    const registrations = await provider.api('GET', '/v1/registrations', { token: world.bToken });
    expect(registrations.status).toBe(200);
    expect(registrations.body.registrations).toEqual([
      expect.objectContaining({ softwareId: B_SW, deviceId: world.b1 }),
    ]);

    const transfers = await provider.api('GET', '/v1/transfers', { token: world.bToken });
    expect(transfers.status).toBe(200);
    expect(transfers.body.transfers).toEqual([]);

    const me = await provider.api('GET', '/v1/me', { token: world.bToken });
    expect(me.body.user.userId).not.toBe(world.aUserId);

    for (const response of [devices, registrations, transfers, me]) {
      const text = JSON.stringify(response.body);
      for (const mark of [world.a1, world.a2, world.a3, world.aCopyId, world.aUserId])
        expect(text).not.toContain(mark);
    }
    // …while A's own views do show them (so the checks above can fail).
    const aRegistrations = await provider.api('GET', '/v1/registrations', { token: world.aToken });
    expect(aRegistrations.body.registrations).toEqual([
      expect.objectContaining({ copyId: world.aCopyId, deviceId: world.a1 }),
    ]);
    const aTransfers = await provider.api('GET', '/v1/transfers', { token: world.aToken });
    expect(aTransfers.body.transfers).toHaveLength(1);
  });

  it('a made-up device ID and A’s real one get the same answer from B', async () => {
    const unknown = randomDeviceId();
    for (const [method, path, body] of [
      ['PATCH', `/v1/devices/${unknown}`, { name: 'x' }],
      ['POST', '/v1/purchases', { softwareId: SW, deviceId: unknown }],
      ['POST', '/v1/licenses/requests', { softwareId: SW, deviceId: unknown }],
      ['POST', `/v1/devices/${world.b1}/recover`, { fromDeviceId: unknown }],
      ['POST', `/v1/devices/${unknown}/recover`, { fromDeviceId: world.b1 }],
    ] as const) {
      const unknownAnswer = await provider.api(method, path, { token: world.bToken, body });
      const realPath = path.replace(unknown, world.a1);
      const realBody = JSON.parse(JSON.stringify(body).replace(unknown, world.a1));
      const realAnswer = await provider.api(method, realPath, { token: world.bToken, body: realBody });
      expect(realAnswer.status).toBe(unknownAnswer.status);
      expect(realAnswer.body).toEqual(unknownAnswer.body);
    }
  });

  it('left every row of A exactly as it was, and A can still redeem its transaction ID', async () => {
    const after = await snapshotOfA(world);
    expect(after).toEqual(before);

    const redeemed = await provider.api('POST', '/v1/licenses/redeem', {
      token: world.aToken,
      body: { transactionId: world.aTransactionId, deviceId: world.a1 },
    });
    expect(redeemed.status).toBe(200);
    expect(redeemed.body.claims).toMatchObject({
      usr: world.aUserId,
      dev: world.a1,
      sub: world.aCopyId,
      sw: SW,
    });
    const refreshed = await provider.api('POST', '/v1/licenses/refresh', {
      token: world.aToken,
      body: { softwareId: SW, deviceId: world.a1 },
    });
    expect(refreshed.status).toBe(200);
  });
});
