/**
 * Recovering a changed machine over real HTTP (POST /v1/devices/:deviceId/recover):
 * every copy of the old device moves to the new one in one step, as transfers would move
 * them, and the old device is retired; only between devices whose components match under
 * the provider's rule; idempotent; never across users. (The race of 50 recoveries is in
 * concurrency.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buyAndLicense,
  createUser,
  enrol,
  enrolReporting,
  hexOf,
  machineComponents,
  publishSoftware,
  randomDeviceId,
  startProvider,
  withChanged,
  type TestProvider,
} from '../../test-support/provider-harness.ts';
import { expectProblem, expectValidation } from '../../test-support/problem-assertions.ts';

let provider: TestProvider;
const db = () => provider.app.keyport.registry.db;
const PROGRAMS = ['recover-alpha', 'recover-beta', 'recover-gamma'];

beforeAll(async () => {
  provider = await startProvider({ settings: { deviceLimit: 10 } });
  for (const softwareId of PROGRAMS) await publishSoftware(provider, softwareId);
});
afterAll(() => provider.close());

const recover = (token: string, toDeviceId: string, fromDeviceId: string, headers?: Record<string, string>) =>
  provider.api('POST', `/v1/devices/${toDeviceId}/recover`, { token, body: { fromDeviceId }, headers });

const refresh = (token: string, softwareId: string, deviceId: string) =>
  provider.api('POST', '/v1/licenses/refresh', { token, body: { softwareId, deviceId } });

/**
 * A user whose desk PC (components of one machine) holds every program — two licensed,
 * one bought but never licensed — and the same desk under a new device ID after `changed`.
 */
async function changedMachine(
  label: string,
  ...changed: Array<'system.uuid' | 'baseboard.serial' | 'disk.serial' | 'net.mac' | 'cpu.model'>
) {
  const account = await createUser(provider, label);
  const desk = machineComponents(`${label}-desk`);
  const old = await enrolReporting(provider, account.token, {
    name: 'Desk PC',
    components: desk,
    installationId: hexOf(`${label}-installation`),
  });
  await buyAndLicense(provider, account.token, 'recover-alpha', old.deviceId);
  await buyAndLicense(provider, account.token, 'recover-beta', old.deviceId);
  const bought = await provider.api('POST', '/v1/purchases', {
    token: account.token,
    body: { softwareId: 'recover-gamma', deviceId: old.deviceId },
  });
  expect(bought.status).toBe(201);
  provider.clock.advance(60_000);
  const fresh = await enrolReporting(provider, account.token, {
    name: 'Desk PC after repair',
    components: withChanged(desk, ...changed),
  });
  return { ...account, oldDevice: old.deviceId, newDevice: fresh.deviceId, enrolment: fresh.body };
}

async function registrationsOf(userId: string, on: TestProvider = provider) {
  return on.app.keyport.registry.db
    .selectFrom('registrations')
    .select(['copy_id', 'software_id', 'device_id'])
    .where('user_id', '=', userId)
    .orderBy('software_id')
    .execute();
}

describe('one component changed', () => {
  it('is recognised, and the recovery moves every copy here and retires the old device (201 {recovery})', async () => {
    const { token, user, oldDevice, newDevice, enrolment } = await changedMachine(
      'swapped-disk',
      'disk.serial',
    );
    expect(enrolment.recognisedAs).toMatchObject({ deviceId: oldDevice, software: PROGRAMS });
    const before = await registrationsOf(user.userId);
    expect(before.map((r) => r.device_id)).toEqual([oldDevice, oldDevice, oldDevice]);

    const response = await recover(token, newDevice, oldDevice);
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      recovery: {
        recoveryId: expect.stringMatching(/^rcv_/),
        fromDeviceId: oldDevice,
        toDeviceId: newDevice,
        copies: before.map((r) => ({ copyId: r.copy_id, softwareId: r.software_id })),
        createdAt: provider.clock.now().toISOString(),
      },
    });
    const { recoveryId } = response.body.recovery;

    // Every copy is on the new device, each exactly once, with its copy ID kept.
    const after = await registrationsOf(user.userId);
    expect(after).toEqual(before.map((r) => ({ ...r, device_id: newDevice })));
    const listed = await provider.api('GET', '/v1/registrations', { token });
    expect(listed.body.registrations.map((r: { deviceId: string }) => r.deviceId)).toEqual([
      newDevice,
      newDevice,
      newDevice,
    ]);

    // The old device is retired, with everything kept about it.
    const devices = await provider.api('GET', '/v1/devices', { token });
    expect(devices.body.devices.map((d: { deviceId: string }) => d.deviceId)).toEqual([newDevice]);
    for (const table of ['device_components', 'device_installations'] as const) {
      const rows = await db()
        .selectFrom(table)
        .select('device_id')
        .where('device_id', '=', oldDevice)
        .execute();
      expect(rows, table).toEqual([]);
    }

    // The old device's keys are revoked: its refresh says the copy moved (LICENSE_REVOKED)
    // for a copy it held a key for, and NOT_REGISTERED for the one it never licensed.
    expectProblem(await refresh(token, 'recover-alpha', oldDevice), 403, 'LICENSE_REVOKED');
    expectProblem(await refresh(token, 'recover-beta', oldDevice), 403, 'LICENSE_REVOKED');
    expectProblem(await refresh(token, 'recover-gamma', oldDevice), 403, 'NOT_REGISTERED');
    const live = await db()
      .selectFrom('licenses')
      .select('jti')
      .where('device_id', '=', oldDevice)
      .where('revoked_at', 'is', null)
      .execute();
    expect(live).toEqual([]);
    // … and the new device licenses them as its own.
    for (const softwareId of PROGRAMS) {
      const requested = await provider.api('POST', '/v1/licenses/requests', {
        token,
        body: { softwareId, deviceId: newDevice },
      });
      expect(requested.status, softwareId).toBe(201);
    }

    // The history: each copy moved as a transfer, the recovery, the retirement.
    const transfers = await provider.api('GET', '/v1/transfers', { token });
    expect(
      transfers.body.transfers
        .map((t: { softwareId: string; sourceDeviceId: string; destinationDeviceId: string }) => [
          t.softwareId,
          t.sourceDeviceId,
          t.destinationDeviceId,
        ])
        .sort(),
    ).toEqual(PROGRAMS.map((softwareId) => [softwareId, oldDevice, newDevice]));
    const events = await db()
      .selectFrom('audit_events')
      .selectAll()
      .where('user_id', '=', user.userId)
      .where('type', 'in', ['registration.transferred', 'device.recovered', 'device.retired'])
      .orderBy('event_id')
      .execute();
    expect(events.map((e) => e.type)).toEqual([
      'registration.transferred',
      'registration.transferred',
      'registration.transferred',
      'device.recovered',
      'device.retired',
    ]);
    for (const moved of events.slice(0, 3)) {
      expect(JSON.parse(moved.data)).toMatchObject({
        recoveryId,
        sourceDeviceId: oldDevice,
        destinationDeviceId: newDevice,
      });
    }
    expect(events[3]).toMatchObject({ device_id: newDevice });
    expect(JSON.parse(events[3]!.data)).toMatchObject({
      recoveryId,
      fromDeviceId: oldDevice,
      toDeviceId: newDevice,
      copies: response.body.recovery.copies,
      matchedComponents: 4,
      comparedComponents: 5,
    });
    expect(events[4]).toMatchObject({ device_id: oldDevice });
    expect(JSON.parse(events[4]!.data)).toMatchObject({ recoveryId });

    // The new device no longer recognises anything: the old one is gone.
    const again = await provider.api('POST', '/v1/devices', {
      token,
      body: { deviceId: newDevice, name: 'Desk PC after repair', platform: 'linux' },
    });
    expect(again.status).toBe(200);
    expect(again.body.recognisedAs).toBeNull();
  });

  it('is idempotent: asked again it answers the same recovery (200) and moves nothing', async () => {
    const { token, user, oldDevice, newDevice } = await changedMachine('asked-twice', 'net.mac');
    const first = await recover(token, newDevice, oldDevice);
    expect(first.status).toBe(201);
    const eventsAfterFirst = await db()
      .selectFrom('audit_events')
      .select('event_id')
      .where('user_id', '=', user.userId)
      .execute();
    provider.clock.advance(5_000);
    const second = await recover(token, newDevice, oldDevice);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const eventsAfterSecond = await db()
      .selectFrom('audit_events')
      .select('event_id')
      .where('user_id', '=', user.userId)
      .execute();
    expect(eventsAfterSecond).toHaveLength(eventsAfterFirst.length);
    const recoveries = await db()
      .selectFrom('recoveries')
      .selectAll()
      .where('user_id', '=', user.userId)
      .execute();
    expect(recoveries).toHaveLength(1);

    // Into another device it is not the same request: the old device is simply gone.
    const elsewhere = await enrol(provider, token, 'Elsewhere');
    expectProblem(await recover(token, elsewhere, oldDevice), 403, 'DEVICE_NOT_ENROLLED');
  });

  it('honours Idempotency-Key: a retry replays the first answer; the key for another request is refused', async () => {
    const { token, oldDevice, newDevice } = await changedMachine('keyed', 'cpu.model');
    const key = `recover-${randomDeviceId().slice(0, 16)}`;
    const first = await recover(token, newDevice, oldDevice, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const retry = await recover(token, newDevice, oldDevice, { 'idempotency-key': key });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    const other = await enrol(provider, token, 'Other');
    expectProblem(
      await recover(token, other, newDevice, { 'idempotency-key': key }),
      422,
      'IDEMPOTENCY_KEY_REUSED',
    );
  });

  it('recovers an old device ID enrolled again after its recovery, as a recovery of its own', async () => {
    const { token, user, oldDevice, newDevice } = await changedMachine('returning', 'disk.serial');
    const first = await recover(token, newDevice, oldDevice);
    expect(first.status).toBe(201);
    // The old disk boots again: its device ID enrols anew, and a program is bought there.
    provider.clock.advance(60_000);
    const returned = await provider.api('POST', '/v1/devices', {
      token,
      body: {
        deviceId: oldDevice,
        name: 'Old disk',
        platform: 'linux',
        components: machineComponents('returning-desk'),
      },
    });
    expect(returned.status).toBe(201);
    expect(returned.body.recognisedAs).toMatchObject({ deviceId: newDevice });
    await publishSoftware(provider, 'recover-delta');
    const bought = await provider.api('POST', '/v1/purchases', {
      token,
      body: { softwareId: 'recover-delta', deviceId: oldDevice },
    });
    expect(bought.status).toBe(201);
    const second = await recover(token, newDevice, oldDevice);
    expect(second.status).toBe(201);
    expect(second.body.recovery.recoveryId).not.toBe(first.body.recovery.recoveryId);
    expect(second.body.recovery.copies).toEqual([
      { copyId: bought.body.purchase.copyId, softwareId: 'recover-delta' },
    ]);
    expect((await registrationsOf(user.userId)).every((r) => r.device_id === newDevice)).toBe(true);
  });
});

describe('most components changed', () => {
  it('is not recognised, and the recovery is refused with 409 NOT_RECOGNISED pointing to transfers; nothing moves', async () => {
    const { token, user, oldDevice, newDevice, enrolment } = await changedMachine(
      'new-machine',
      'system.uuid',
      'baseboard.serial',
      'disk.serial',
    );
    expect(enrolment.recognisedAs).toBeNull();
    const before = await registrationsOf(user.userId);
    const response = await recover(token, newDevice, oldDevice);
    expectProblem(response, 409, 'NOT_RECOGNISED');
    expect(response.body.detail).toContain('2 of 5');
    expect(response.body.detail).toContain('transfers');
    expect(await registrationsOf(user.userId)).toEqual(before);
    const devices = await provider.api('GET', '/v1/devices', { token });
    expect(devices.body.devices.map((d: { deviceId: string }) => d.deviceId).sort()).toEqual(
      [oldDevice, newDevice].sort(),
    );
    expect(
      await db().selectFrom('recoveries').selectAll().where('user_id', '=', user.userId).execute(),
    ).toEqual([]);
    expectProblem(await refresh(token, 'recover-alpha', newDevice), 403, 'NOT_REGISTERED');
    expect((await refresh(token, 'recover-alpha', oldDevice)).status).toBe(200);
  });

  it('refuses devices that reported no components (nothing to compare)', async () => {
    const { token } = await createUser(provider, 'no-components');
    const old = await enrol(provider, token, 'Old');
    const fresh = await enrol(provider, token, 'New');
    expectProblem(await recover(token, fresh, old), 409, 'NOT_RECOGNISED');
  });
});

describe('refusals', () => {
  it('refuses recovering a device into itself: 400 SAME_DEVICE', async () => {
    const { token, oldDevice } = await changedMachine('same', 'disk.serial');
    expectProblem(await recover(token, oldDevice, oldDevice), 400, 'SAME_DEVICE');
  });

  it('refuses devices that are not enrolled: 403 DEVICE_NOT_ENROLLED', async () => {
    const { token, oldDevice, newDevice } = await changedMachine('unknown', 'disk.serial');
    expectProblem(await recover(token, newDevice, randomDeviceId()), 403, 'DEVICE_NOT_ENROLLED');
    expectProblem(await recover(token, randomDeviceId(), oldDevice), 403, 'DEVICE_NOT_ENROLLED');
  });

  it('refuses malformed bodies and IDs with 400 VALIDATION', async () => {
    const { token, oldDevice, newDevice } = await changedMachine('malformed', 'disk.serial');
    expectValidation(
      await provider.api('POST', `/v1/devices/${newDevice}/recover`, { token, body: { fromDeviceId: 'x' } }),
      'body.fromDeviceId',
    );
    expectValidation(
      await provider.api('POST', `/v1/devices/${newDevice}/recover`, {
        token,
        body: { fromDeviceId: oldDevice, copies: [] },
      }),
    );
    expectValidation(
      await provider.api('POST', '/v1/devices/not-a-device/recover', {
        token,
        body: { fromDeviceId: oldDevice },
      }),
      'params.deviceId',
    );
  });
});

describe('across users', () => {
  it("cannot recover another user's device, nor into one, even with identical components; both stay as they were", async () => {
    const victim = await changedMachine('victim', 'disk.serial');
    const thief = await createUser(provider, 'thief');
    // The thief's device reports the victim's very components (they are not secret to a thief).
    const victimDesk = await db()
      .selectFrom('device_components')
      .select(['name', 'hmac'])
      .where('device_id', '=', victim.oldDevice)
      .execute();
    const copied = Object.fromEntries(victimDesk.map((row) => [row.name, row.hmac]));
    const own = await enrolReporting(provider, thief.token, { components: copied });
    expect(own.body.recognisedAs).toBeNull();
    const before = await registrationsOf(victim.user.userId);

    const fromVictim = await recover(thief.token, own.deviceId, victim.oldDevice);
    expectProblem(fromVictim, 403, 'DEVICE_NOT_ENROLLED');
    // Exactly the answer for a device that does not exist: nothing leaks.
    const fromNowhere = await recover(thief.token, own.deviceId, randomDeviceId());
    expect(fromVictim.body).toEqual(fromNowhere.body);
    expectProblem(await recover(thief.token, victim.newDevice, own.deviceId), 403, 'DEVICE_NOT_ENROLLED');

    expect(await registrationsOf(victim.user.userId)).toEqual(before);
    expect(await registrationsOf(thief.user.userId)).toEqual([]);
    const devices = await provider.api('GET', '/v1/devices', { token: victim.token });
    expect(devices.body.devices.map((d: { deviceId: string }) => d.deviceId).sort()).toEqual(
      [victim.oldDevice, victim.newDevice].sort(),
    );

    // The victim's own recovery is untouched by all that, and the thief cannot replay it.
    const real = await recover(victim.token, victim.newDevice, victim.oldDevice);
    expect(real.status).toBe(201);
    expectProblem(await recover(thief.token, victim.newDevice, victim.oldDevice), 403, 'DEVICE_NOT_ENROLLED');
  });
});

describe('with componentMatch: off', () => {
  it('refuses every recovery, even between identical components', async () => {
    const strict = await startProvider({ settings: { componentMatch: 'off' } });
    try {
      const { token } = await createUser(strict, 'strict');
      const desk = machineComponents('strict-desk');
      const old = await enrolReporting(strict, token, { components: desk });
      const fresh = await enrolReporting(strict, token, { components: desk });
      expect(fresh.body.recognisedAs).toBeNull();
      const response = await strict.api('POST', `/v1/devices/${fresh.deviceId}/recover`, {
        token,
        body: { fromDeviceId: old.deviceId },
      });
      expectProblem(response, 409, 'NOT_RECOGNISED');
    } finally {
      await strict.close();
    }
  });
});

describe('at the device limit: enrolling by recovering', () => {
  const LIMIT = 3;
  let limited: TestProvider;
  beforeAll(async () => {
    limited = await startProvider({ settings: { deviceLimit: LIMIT } });
    await publishSoftware(limited, 'recover-alpha');
  });
  afterAll(() => limited.close());
  const limitedDb = () => limited.app.keyport.registry.db;

  const deviceIdsOf = async (token: string) =>
    (await limited.api('GET', '/v1/devices', { token })).body.devices.map(
      (d: { deviceId: string }) => d.deviceId,
    );
  const recognitions = (token: string, deviceId: string, components: object) =>
    limited.api('POST', '/v1/devices/recognitions', { token, body: { deviceId, components } });
  const recoverEnrolling = (token: string, toDeviceId: string, fromDeviceId: string, components: object) =>
    limited.api('POST', `/v1/devices/${toDeviceId}/recover`, {
      token,
      body: {
        fromDeviceId,
        enrol: {
          name: 'Desk PC reinstalled',
          platform: 'linux',
          components,
          installationId: hexOf(toDeviceId),
        },
      },
    });

  /** A full account whose desk PC (holding a program) was reinstalled: a new device ID, the same hardware. */
  async function fullAccount(label: string) {
    const account = await createUser(limited, label);
    const desk = machineComponents(`${label}-desk`);
    const old = await enrolReporting(limited, account.token, { name: 'Desk PC', components: desk });
    await buyAndLicense(limited, account.token, 'recover-alpha', old.deviceId);
    for (let i = 1; i < LIMIT; i++) await enrol(limited, account.token, `Laptop ${i}`);
    limited.clock.advance(60_000);
    return { ...account, desk, oldDevice: old.deviceId, newDevice: randomDeviceId() };
  }

  it('refuses the enrolment, recognises the old device, and a recovery with `enrol` enrols this one in its place', async () => {
    const { token, user, desk, oldDevice, newDevice } = await fullAccount('full');
    const reinstalled = withChanged(desk, 'disk.serial');
    const refused = await limited.api('POST', '/v1/devices', {
      token,
      body: { deviceId: newDevice, name: 'Desk PC reinstalled', platform: 'linux', components: reinstalled },
    });
    expectProblem(refused, 409, 'DEVICE_LIMIT');

    const recognised = await recognitions(token, newDevice, reinstalled);
    expect(recognised.status).toBe(200);
    expect(recognised.body).toEqual({
      recognisedAs: {
        deviceId: oldDevice,
        name: 'Desk PC',
        matchedComponents: 4,
        comparedComponents: 5,
        software: ['recover-alpha'],
      },
    });
    // Asking changed nothing.
    expect(await deviceIdsOf(token)).not.toContain(newDevice);

    const recovered = await recoverEnrolling(token, newDevice, oldDevice, reinstalled);
    expect(recovered.status).toBe(201);
    expect(recovered.body.recovery).toMatchObject({ fromDeviceId: oldDevice, toDeviceId: newDevice });
    const devices = await deviceIdsOf(token);
    expect(devices).toHaveLength(LIMIT);
    expect(devices).toContain(newDevice);
    expect(devices).not.toContain(oldDevice);
    expect((await registrationsOf(user.userId, limited)).map((r) => r.device_id)).toEqual([newDevice]);
    const events = await limitedDb()
      .selectFrom('audit_events')
      .select(['type', 'device_id', 'data'])
      .where('user_id', '=', user.userId)
      .where('type', 'in', ['device.enrolled', 'device.recovered', 'device.retired'])
      .where('device_id', 'in', [newDevice, oldDevice])
      .orderBy('event_id')
      .execute();
    expect(events.map((e) => [e.type, e.device_id])).toEqual([
      ['device.enrolled', oldDevice],
      ['device.enrolled', newDevice],
      ['device.recovered', newDevice],
      ['device.retired', oldDevice],
    ]);
    expect(JSON.parse(events[1]!.data)).toMatchObject({ name: 'Desk PC reinstalled', platform: 'linux' });
    const kept = await limitedDb()
      .selectFrom('device_installations')
      .select('installation_id')
      .where('device_id', '=', newDevice)
      .execute();
    expect(kept).toEqual([{ installation_id: hexOf(newDevice) }]);

    // Asked again (a retry), the same recovery; `enrol` is ignored once the device is enrolled.
    const again = await recoverEnrolling(token, newDevice, oldDevice, {});
    expect(again.status).toBe(200);
    expect(again.body).toEqual(recovered.body);
    expect(await deviceIdsOf(token)).toEqual(devices);
  });

  it('without a match: no recognition, and the recovery is refused (NOT_RECOGNISED) with nothing enrolled', async () => {
    const { token, user, desk, oldDevice, newDevice } = await fullAccount('full-other-machine');
    const other = withChanged(desk, 'system.uuid', 'baseboard.serial', 'disk.serial');
    expect((await recognitions(token, newDevice, other)).body).toEqual({ recognisedAs: null });
    const before = await deviceIdsOf(token);
    expectProblem(await recoverEnrolling(token, newDevice, oldDevice, other), 409, 'NOT_RECOGNISED');
    expect(await deviceIdsOf(token)).toEqual(before);
    expect(await registrationsOf(user.userId, limited)).toEqual([
      expect.objectContaining({ device_id: oldDevice, software_id: 'recover-alpha' }),
    ]);
    for (const table of ['device_components', 'device_installations'] as const) {
      const rows = await limitedDb()
        .selectFrom(table)
        .select('device_id')
        .where('device_id', '=', newDevice)
        .execute();
      expect(rows, table).toEqual([]);
    }
    const enrolled = await limitedDb()
      .selectFrom('audit_events')
      .select('event_id')
      .where('device_id', '=', newDevice)
      .execute();
    expect(enrolled).toEqual([]);
  });

  it("another user's device ID: DEVICE_TAKEN, and nothing of that user's devices is shown or moved", async () => {
    const { token, desk, oldDevice } = await fullAccount('full-taker');
    const owner = await createUser(limited, 'owner');
    const theirs = await enrolReporting(limited, owner.token, { name: 'Their PC', components: desk });
    expectProblem(await recognitions(token, theirs.deviceId, desk), 409, 'DEVICE_TAKEN');
    const before = await deviceIdsOf(token);
    expectProblem(await recoverEnrolling(token, theirs.deviceId, oldDevice, desk), 409, 'DEVICE_TAKEN');
    expect(await deviceIdsOf(token)).toEqual(before);
    expect(await deviceIdsOf(owner.token)).toEqual([theirs.deviceId]);
    // Identical components, yet each account is only ever offered its own device.
    const mine = await recognitions(token, randomDeviceId(), desk);
    expect(mine.body.recognisedAs).toMatchObject({ deviceId: oldDevice });
    const ownersOwn = await recognitions(owner.token, randomDeviceId(), desk);
    expect(ownersOwn.body.recognisedAs).toMatchObject({ deviceId: theirs.deviceId });
  });

  it('20 parallel recoveries with `enrol` make one recovery and one new device', async () => {
    const { token, user, desk, oldDevice, newDevice } = await fullAccount('full-racer');
    const reinstalled = withChanged(desk, 'net.mac');
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => recoverEnrolling(token, newDevice, oldDevice, reinstalled)),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([...Array<number>(19).fill(200), 201]);
    const recoveryIds = new Set(answers.map((a) => a.body.recovery.recoveryId));
    expect(recoveryIds.size).toBe(1);
    const devices = await deviceIdsOf(token);
    expect(devices).toHaveLength(LIMIT);
    expect(devices.filter((id: string) => id === newDevice)).toHaveLength(1);
    const recoveries = await limitedDb()
      .selectFrom('recoveries')
      .selectAll()
      .where('user_id', '=', user.userId)
      .execute();
    expect(recoveries).toHaveLength(1);
    const enrolled = await limitedDb()
      .selectFrom('audit_events')
      .select('event_id')
      .where('type', '=', 'device.enrolled')
      .where('device_id', '=', newDevice)
      .execute();
    expect(enrolled).toHaveLength(1);
  });
});
