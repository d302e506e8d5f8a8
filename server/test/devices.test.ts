/**
 * Devices over real HTTP (DESIGN §3): enrol (idempotent for the same user), list,
 * rename, retire — success, every documented error, and the device limit (configured
 * to 2 for this file) — and what a device reports about itself on enrolment (hardware
 * components, installation, the ID's source) and the recognition it is answered with.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
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
import type { ComponentMatchRule } from '../lib/component-match.ts';
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
          flags: [],
        },
        recognisedAs: null,
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
        { deviceId: a1, name: 'A1', platform: 'linux', enrolledAt: expect.any(String), flags: [] },
        {
          deviceId: a2,
          name: 'A2',
          platform: 'linux',
          enrolledAt: provider.clock.now().toISOString(),
          flags: [],
        },
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

describe('device identity on enrolment', () => {
  let provider: TestProvider;
  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(() => provider.close());

  const db = () => provider.app.keyport.registry.db;
  const storedComponents = async (deviceId: string) =>
    Object.fromEntries(
      (
        await db().selectFrom('device_components').selectAll().where('device_id', '=', deviceId).execute()
      ).map((row) => [row.name, row.hmac]),
    );

  it('keeps the components, the installation and the ID source a device reports', async () => {
    const { token } = await createUser(provider, 'reporter');
    const components = machineComponents('reporter-desk');
    const installationId = hexOf('reporter-installation');
    const { deviceId, body } = await enrolReporting(provider, token, {
      name: 'Desk PC',
      components,
      installationId,
      idSource: 'generated',
    });
    expect(body).toEqual({
      device: {
        deviceId,
        name: 'Desk PC',
        platform: 'linux',
        enrolledAt: provider.clock.now().toISOString(),
        flags: [],
      },
      recognisedAs: null,
    });
    expect(await storedComponents(deviceId)).toEqual(components);
    const device = await db()
      .selectFrom('devices')
      .selectAll()
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
    expect(device).toMatchObject({
      id_source: 'generated',
      installation_id: installationId,
      flagged_at: null,
    });
    const installations = await db()
      .selectFrom('device_installations')
      .selectAll()
      .where('device_id', '=', deviceId)
      .execute();
    expect(installations).toEqual([
      {
        device_id: deviceId,
        installation_id: installationId,
        first_seen_at: provider.clock.now().toISOString(),
        last_seen_at: provider.clock.now().toISOString(),
      },
    ]);
  });

  it('recognises the same machine with one component changed, naming what a recovery would move', async () => {
    await publishSoftware(provider, 'recognised-a');
    await publishSoftware(provider, 'recognised-b');
    const { token } = await createUser(provider, 'changer');
    const desk = machineComponents('changer-desk');
    const old = await enrolReporting(provider, token, { name: 'Desk PC', components: desk });
    for (const softwareId of ['recognised-b', 'recognised-a']) {
      const bought = await provider.api('POST', '/v1/purchases', {
        token,
        body: { softwareId, deviceId: old.deviceId },
      });
      expect(bought.status).toBe(201);
    }
    provider.clock.advance(60_000);
    const changed = await enrolReporting(provider, token, {
      name: 'Desk PC (new disk)',
      components: withChanged(desk, 'disk.serial'),
    });
    expect(changed.body.recognisedAs).toEqual({
      deviceId: old.deviceId,
      name: 'Desk PC',
      matchedComponents: 4,
      comparedComponents: 5,
      software: ['recognised-a', 'recognised-b'],
    });

    // Enrolling it again (200) answers the same recognition.
    const again = await provider.api('POST', '/v1/devices', {
      token,
      body: { deviceId: changed.deviceId, name: 'Desk PC (new disk)', platform: 'linux' },
    });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(changed.body);
  });

  it('does not recognise a machine with most components changed, nor one that reported none', async () => {
    const { token } = await createUser(provider, 'stranger');
    const desk = machineComponents('stranger-desk');
    await enrolReporting(provider, token, { name: 'Desk PC', components: desk });
    const mostChanged = await enrolReporting(provider, token, {
      components: withChanged(desk, 'system.uuid', 'baseboard.serial', 'disk.serial'),
    });
    expect(mostChanged.body.recognisedAs).toBeNull();
    const silent = await enrolReporting(provider, token, {});
    expect(silent.body.recognisedAs).toBeNull();
  });

  it('counts only the components both devices reported', async () => {
    const { token } = await createUser(provider, 'partial');
    const desk = machineComponents('partial-desk');
    const old = await enrolReporting(provider, token, { name: 'Old', components: desk });
    // The new reading offers three components; two equal, one changed: 2 of 3 is most.
    const partial = await enrolReporting(provider, token, {
      components: {
        'system.uuid': desk['system.uuid'],
        'cpu.model': desk['cpu.model'],
        'disk.serial': hexOf('partial-new-disk'),
      },
    });
    expect(partial.body.recognisedAs).toMatchObject({
      deviceId: old.deviceId,
      matchedComponents: 2,
      comparedComponents: 3,
    });
  });

  it('answers the best match: the highest share of equal components, then the newest device', async () => {
    const { token } = await createUser(provider, 'chooser');
    const desk = machineComponents('chooser-desk');
    // The better match is the older device: the share decides before the enrolment time.
    const fourOfFive = await enrolReporting(provider, token, {
      name: 'Four of five',
      components: withChanged(desk, 'disk.serial'),
    });
    provider.clock.advance(1000);
    const threeOfFive = await enrolReporting(provider, token, {
      name: 'Three of five',
      components: withChanged(desk, 'disk.serial', 'net.mac'),
    });
    provider.clock.advance(1000);
    const probe = await enrolReporting(provider, token, { components: desk });
    expect(probe.body.recognisedAs).toMatchObject({ deviceId: fourOfFive.deviceId, matchedComponents: 4 });

    // Two equally good matches: the newer enrolment wins, whatever order the rows are in.
    const { token: token2 } = await createUser(provider, 'chooser-tie');
    const older = await enrolReporting(provider, token2, { name: 'Older', components: desk });
    provider.clock.advance(1000);
    const newer = await enrolReporting(provider, token2, { name: 'Newer', components: desk });
    provider.clock.advance(1000);
    const tie = await enrolReporting(provider, token2, { components: withChanged(desk, 'net.mac') });
    expect(tie.body.recognisedAs.deviceId).toBe(newer.deviceId);
    expect(tie.body.recognisedAs.deviceId).not.toBe(older.deviceId);
    expect(threeOfFive.deviceId).not.toBe(probe.body.recognisedAs.deviceId);
  });

  it("never recognises another user's device, however well it matches", async () => {
    const owner = await createUser(provider, 'matched-owner');
    const other = await createUser(provider, 'matched-other');
    const components = machineComponents('shared-looking');
    await enrolReporting(provider, owner.token, { components });
    const theirs = await enrolReporting(provider, other.token, { components });
    expect(theirs.body.recognisedAs).toBeNull();
  });

  it('replaces the stored components when a device reports them again, and keeps them when it does not', async () => {
    const { token } = await createUser(provider, 'replacer');
    const first = machineComponents('replacer-first');
    const { deviceId } = await enrolReporting(provider, token, { components: first });
    const enrolAgain = (extra: Record<string, unknown>) =>
      provider.api('POST', '/v1/devices', {
        token,
        body: { deviceId, name: 'Laptop', platform: 'linux', ...extra },
      });
    expect((await enrolAgain({})).status).toBe(200);
    expect(await storedComponents(deviceId)).toEqual(first);
    const second = { 'cpu.model': hexOf('replacer-cpu'), 'net.mac': hexOf('replacer-mac') };
    expect((await enrolAgain({ components: second, idSource: 'os' })).status).toBe(200);
    expect(await storedComponents(deviceId)).toEqual(second);
    const device = await db()
      .selectFrom('devices')
      .selectAll()
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
    expect(device?.id_source).toBe('os');
  });

  it('forgets the components and installations of a retired device', async () => {
    const { token } = await createUser(provider, 'forgetter');
    const { deviceId } = await enrolReporting(provider, token, {
      components: machineComponents('forgotten'),
      installationId: hexOf('forgotten-installation'),
    });
    expect((await provider.api('DELETE', `/v1/devices/${deviceId}`, { token })).status).toBe(204);
    expect(await storedComponents(deviceId)).toEqual({});
    const installations = await db()
      .selectFrom('device_installations')
      .selectAll()
      .where('device_id', '=', deviceId)
      .execute();
    expect(installations).toEqual([]);
  });

  it('takes components from provisioning (admin) like from an enrolment', async () => {
    const desk = machineComponents('provisioned-desk');
    const provisioned = randomDeviceId();
    const email = `provisioned-${randomDeviceId().slice(0, 8)}@example.test`;
    const response = await provider.api('POST', '/v1/admin/provision', {
      token: provider.adminToken,
      body: {
        email,
        displayName: 'Provisioned',
        password: 'provisioned-password',
        devices: [{ deviceId: provisioned, name: 'Shop PC', platform: 'win32', components: desk }],
      },
    });
    expect(response.status).toBe(201);
    expect(response.body.devices).toEqual([expect.objectContaining({ deviceId: provisioned, flags: [] })]);
    expect(await storedComponents(provisioned)).toEqual(desk);
    const session = await provider.api('POST', '/v1/sessions', {
      body: { email, password: 'provisioned-password' },
    });
    const changed = await enrolReporting(provider, session.body.token, {
      components: withChanged(desk, 'net.mac'),
    });
    expect(changed.body.recognisedAs).toMatchObject({ deviceId: provisioned, name: 'Shop PC' });
  });

  it('refuses bad component names and values, installation IDs and ID sources with 400 VALIDATION', async () => {
    const { token } = await createUser(provider, 'bad-report');
    const hmac = hexOf('fine');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ components: { 'bios.serial': hmac } }, 'body.components'],
      [{ components: { 'system.uuid': 'not-hex' } }, 'body.components.system.uuid'],
      [{ components: { 'system.uuid': hmac.toUpperCase() } }, 'body.components.system.uuid'],
      [{ components: { 'disk.serial': 'SERIAL-123-RAW' } }, 'body.components.disk.serial'],
      [{ components: { 'net.mac': 42 } }, 'body.components.net.mac'],
      [{ components: [hmac] }, 'body.components'],
      [{ installationId: 'abc' }, 'body.installationId'],
      [{ idSource: 'hostname' }, 'body.idSource'],
    ];
    for (const [extra, path] of cases) {
      const deviceId = randomDeviceId();
      const response = await provider.api('POST', '/v1/devices', {
        token,
        body: { deviceId, name: 'Box', platform: 'linux', ...extra },
      });
      expectValidation(response, path);
    }
    const devices = await provider.api('GET', '/v1/devices', { token });
    expect(devices.body.devices).toEqual([]);
  });
});

describe('the componentMatch setting', () => {
  /** Whether a device with `changed` components changed is recognised under `rule`. */
  async function recognisedUnder(
    rule: ComponentMatchRule,
    cases: Array<Array<'system.uuid' | 'baseboard.serial' | 'disk.serial' | 'net.mac' | 'cpu.model'>>,
  ): Promise<boolean[]> {
    const provider = await startProvider({ settings: { componentMatch: rule, deviceLimit: 20 } });
    try {
      const results: boolean[] = [];
      for (const changed of cases) {
        const { token } = await createUser(provider, `rule-${rule}`);
        const desk = machineComponents(`rule-${rule}-${results.length}`);
        await enrolReporting(provider, token, { components: desk });
        const probe = await enrolReporting(provider, token, { components: withChanged(desk, ...changed) });
        results.push(probe.body.recognisedAs !== null);
      }
      return results;
    } finally {
      await provider.close();
    }
  }

  const oneChanged = ['disk.serial'] as const;
  const threeChanged = ['system.uuid', 'baseboard.serial', 'disk.serial'] as const;
  const fourChanged = ['system.uuid', 'baseboard.serial', 'disk.serial', 'net.mac'] as const;

  it('two: at least two equal components', async () => {
    expect(await recognisedUnder('two', [[], [...threeChanged], [...fourChanged]])).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('all: every compared component equal', async () => {
    expect(await recognisedUnder('all', [[], [...oneChanged]])).toEqual([true, false]);
  });

  it('off: never', async () => {
    expect(await recognisedUnder('off', [[]])).toEqual([false]);
  });
});
