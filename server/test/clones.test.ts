/**
 * Clones over real HTTP: refreshes (and enrolments) say which installation asks and what
 * hardware it reads. A new installation on its own is a reinstall; two installations
 * alternating on one device ID with conflicting hardware (a component both reported
 * differs) flag it "in use on two machines" once (audit `device.cloned`), and under
 * `clonePolicy: refuse` (default) the later one's refresh is refused with 409
 * DEVICE_CLONED, under `flag` it is answered. Two installations on one machine (the user
 * and root, two profiles) alternate with matching hardware and are neither. A refresh
 * also replaces the device's components; one without an installation ID works as it
 * always did.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceComponents } from '../../shared/provider-api/schemas.ts';
import type { ClonePolicy } from '../context.ts';
import {
  buyAndLicense,
  createUser,
  enrol,
  enrolReporting,
  hexOf,
  machineComponents,
  publishSoftware,
  startProvider,
  withChanged,
  type TestProvider,
} from '../../test-support/provider-harness.ts';
import { expectProblem, expectValidation } from '../../test-support/problem-assertions.ts';

const SW = 'clone-target';

/** A machine's hardware, and a clone of it (the same disk image) on other hardware. */
function machineAndClone(label: string, differing: keyof DeviceComponents = 'net.mac') {
  const machine = machineComponents(label);
  return { machine, clone: withChanged(machine, differing) };
}

/** A provider with `policy`, and a user whose one device holds SW, licensed. */
async function setUp(policy?: ClonePolicy) {
  const provider = await startProvider(policy ? { settings: { clonePolicy: policy } } : {});
  await publishSoftware(provider, SW);
  return provider;
}

async function owner(provider: TestProvider, label: string) {
  const account = await createUser(provider, label);
  const deviceId = await enrol(provider, account.token, 'Desk PC');
  await buyAndLicense(provider, account.token, SW, deviceId);
  const refresh = (installationId?: string, extra: Record<string, unknown> = {}) => {
    provider.clock.advance(1000);
    return provider.api('POST', '/v1/licenses/refresh', {
      token: account.token,
      body: { softwareId: SW, deviceId, ...(installationId ? { installationId } : {}), ...extra },
    });
  };
  /** A refresh from `installationId` reporting `components`, as the app makes them. */
  const refreshWith = (installationId: string, components: DeviceComponents) =>
    refresh(installationId, { components });
  const flags = async () => {
    const devices = await provider.api('GET', '/v1/devices', { token: account.token });
    return devices.body.devices.find((d: { deviceId: string }) => d.deviceId === deviceId).flags;
  };
  const clonedEvents = () =>
    provider.app.keyport.registry.db
      .selectFrom('audit_events')
      .selectAll()
      .where('device_id', '=', deviceId)
      .where('type', '=', 'device.cloned')
      .execute();
  return { ...account, deviceId, refresh, refreshWith, flags, clonedEvents };
}

describe('clonePolicy: refuse (default)', () => {
  let provider: TestProvider;
  beforeAll(async () => {
    provider = await setUp();
  });
  afterAll(() => provider.close());

  it('a new installation alone is a reinstall: not flagged, answered', async () => {
    const user = await owner(provider, 'reinstaller');
    const [first, second] = [hexOf('reinstall-1'), hexOf('reinstall-2')];
    expect((await user.refresh(first)).status).toBe(200);
    expect((await user.refresh(first)).status).toBe(200);
    expect((await user.refresh(second)).status).toBe(200);
    expect((await user.refresh(second)).status).toBe(200);
    expect(await user.flags()).toEqual([]);
    expect(await user.clonedEvents()).toEqual([]);
    const device = await provider.app.keyport.registry.db
      .selectFrom('devices')
      .select('installation_id')
      .where('device_id', '=', user.deviceId)
      .executeTakeFirstOrThrow();
    expect(device.installation_id).toBe(second);
  });

  it('two installations alternating on different hardware flag the device once, and the later one is refused with 409 DEVICE_CLONED', async () => {
    const user = await owner(provider, 'cloned');
    const [original, clone] = [hexOf('original-install'), hexOf('clone-install')];
    const hw = machineAndClone('cloned-vm');
    expect((await user.refreshWith(original, hw.machine)).status).toBe(200);
    // The clone's first refresh looks like a reinstall, and is answered.
    expect((await user.refreshWith(clone, hw.clone)).status).toBe(200);
    expect(await user.flags()).toEqual([]);
    // The original comes back: two installations alternate, their MACs differ.
    expect((await user.refreshWith(original, hw.machine)).status).toBe(200);
    expect(await user.flags()).toEqual(['in-use-on-two-machines']);

    const refused = await user.refreshWith(clone, hw.clone);
    expectProblem(refused, 409, 'DEVICE_CLONED');
    expect(refused.body.detail).toContain('two machines');
    // The original keeps working, however often they alternate; the clone stays refused.
    for (let i = 0; i < 3; i++) {
      expect((await user.refreshWith(original, hw.machine)).status).toBe(200);
      expectProblem(await user.refreshWith(clone, hw.clone), 409, 'DEVICE_CLONED');
    }
    // A refresh that does not say which installation it is cannot be told from the clone.
    expectProblem(await user.refresh(), 409, 'DEVICE_CLONED');
    // So does a third installation.
    expectProblem(await user.refresh(hexOf('third-install')), 409, 'DEVICE_CLONED');

    const events = await user.clonedEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ user_id: user.user.userId, device_id: user.deviceId });
    expect(JSON.parse(events[0]!.data)).toEqual({
      installationIds: [clone, original],
      originalInstallationId: original,
    });
  });

  it('keeps the earlier of the two that alternate, not a long-gone first installation', async () => {
    const user = await owner(provider, 'reinstalled-then-cloned');
    const [gone, reinstalled, clone] = [hexOf('gone'), hexOf('reinstalled'), hexOf('clone-of-reinstalled')];
    const hw = machineAndClone('reinstalled-machine', 'system.uuid');
    expect((await user.refreshWith(gone, hw.machine)).status).toBe(200);
    expect((await user.refreshWith(reinstalled, hw.machine)).status).toBe(200);
    expect((await user.refreshWith(clone, hw.clone)).status).toBe(200);
    expect((await user.refreshWith(reinstalled, hw.machine)).status).toBe(200);
    expect(await user.flags()).toEqual(['in-use-on-two-machines']);
    expectProblem(await user.refreshWith(clone, hw.clone), 409, 'DEVICE_CLONED');
    expect((await user.refreshWith(reinstalled, hw.machine)).status).toBe(200);
  });

  it.each(['net.mac', 'system.uuid'] as const)(
    'a clone whose %s differs is flagged and refused, even when both report only some components',
    async (differing) => {
      const user = await owner(provider, `clone-differing-${differing}`);
      const [original, clone] = [hexOf(`${differing}-original`), hexOf(`${differing}-clone`)];
      const hw = machineAndClone(`machine-${differing}`, differing);
      // The clone runs as root and reports everything; the original, as a user, less.
      const { 'baseboard.serial': _, ...asUser } = hw.machine;
      expect((await user.refreshWith(original, asUser)).status).toBe(200);
      expect((await user.refreshWith(clone, hw.clone)).status).toBe(200);
      expect((await user.refreshWith(original, asUser)).status).toBe(200);
      expect(await user.flags()).toEqual(['in-use-on-two-machines']);
      expectProblem(await user.refreshWith(clone, hw.clone), 409, 'DEVICE_CLONED');
      expect(await user.clonedEvents()).toHaveLength(1);
    },
  );

  it('the user and root on one machine (two keychains) alternate unflagged, and both are answered', async () => {
    const user = await owner(provider, 'user-and-root');
    const [asUser, asRoot] = [hexOf('as-user'), hexOf('as-root')];
    // Root also reads the DMI serials a user cannot; everything both read is equal.
    const asRootReads = machineComponents('one-machine');
    const { 'system.uuid': _uuid, 'baseboard.serial': _board, ...asUserReads } = asRootReads;
    for (let i = 0; i < 3; i++) {
      expect((await user.refreshWith(asUser, asUserReads)).status).toBe(200);
      expect((await user.refreshWith(asRoot, asRootReads)).status).toBe(200);
    }
    expect(await user.flags()).toEqual([]);
    expect(await user.clonedEvents()).toEqual([]);
  });

  it('a second profile on the same machine alternates unflagged, enrolling and refreshing', async () => {
    const { token } = await createUser(provider, 'two-profiles');
    const [first, second] = [hexOf('profile-1'), hexOf('profile-2')];
    const components = machineComponents('two-profiles-machine');
    const { deviceId } = await enrolReporting(provider, token, { installationId: first, components });
    await buyAndLicense(provider, token, SW, deviceId);
    for (const installationId of [second, first, second, first]) {
      const enrolled = await provider.api('POST', '/v1/devices', {
        token,
        body: { deviceId, name: 'Desk PC', platform: 'linux', installationId, components },
      });
      expect(enrolled.body.device.flags).toEqual([]);
      const refreshed = await provider.api('POST', '/v1/licenses/refresh', {
        token,
        body: { softwareId: SW, deviceId, installationId, components },
      });
      expect(refreshed.status).toBe(200);
    }
  });

  it('without a hardware report from both installations, alternating counts as a clone, as before', async () => {
    const silent = await owner(provider, 'no-components');
    const [a, b] = [hexOf('silent-a'), hexOf('silent-b')];
    expect((await silent.refresh(a)).status).toBe(200);
    expect((await silent.refresh(b)).status).toBe(200);
    expect((await silent.refresh(a)).status).toBe(200);
    expect(await silent.flags()).toEqual(['in-use-on-two-machines']);
    expectProblem(await silent.refresh(b), 409, 'DEVICE_CLONED');

    const oneSided = await owner(provider, 'one-side-components');
    const [c, d] = [hexOf('one-sided-c'), hexOf('one-sided-d')];
    const components = machineComponents('one-sided');
    expect((await oneSided.refreshWith(c, components)).status).toBe(200);
    expect((await oneSided.refresh(d)).status).toBe(200);
    expect((await oneSided.refreshWith(c, components)).status).toBe(200);
    expect(await oneSided.flags()).toEqual(['in-use-on-two-machines']);
    expectProblem(await oneSided.refresh(d), 409, 'DEVICE_CLONED');
  });

  it('counts enrolments too: the installation that enrols becomes the current one', async () => {
    const { token } = await createUser(provider, 'enrolling-clone');
    const [original, clone] = [hexOf('enrol-original'), hexOf('enrol-clone')];
    const hw = machineAndClone('enrolling-machine');
    const reads = { [original]: hw.machine, [clone]: hw.clone };
    const { deviceId } = await enrolReporting(provider, token, {
      installationId: original,
      components: hw.machine,
    });
    await buyAndLicense(provider, token, SW, deviceId);
    const enrolFrom = (installationId: string) =>
      provider.api('POST', '/v1/devices', {
        token,
        body: {
          deviceId,
          name: 'Desk PC',
          platform: 'linux',
          installationId,
          components: reads[installationId],
        },
      });
    // Each machine enrols at start, then refreshes: the alternation is seen all the same.
    expect((await enrolFrom(clone)).status).toBe(200);
    const answer = await enrolFrom(original);
    expect(answer.status).toBe(200);
    expect(answer.body.device.flags).toEqual(['in-use-on-two-machines']);
    const refresh = (installationId: string) =>
      provider.api('POST', '/v1/licenses/refresh', {
        token,
        body: { softwareId: SW, deviceId, installationId, components: reads[installationId] },
      });
    expect((await refresh(original)).status).toBe(200);
    expectProblem(await refresh(clone), 409, 'DEVICE_CLONED');
  });

  it('a refresh without an installation ID on a device that is not flagged works as before, and records nothing', async () => {
    const user = await owner(provider, 'curl-user');
    const answer = await user.refresh();
    expect(answer.status).toBe(200);
    expect(answer.body.claims).toMatchObject({ sw: SW, dev: user.deviceId });
    const installations = await provider.app.keyport.registry.db
      .selectFrom('device_installations')
      .selectAll()
      .where('device_id', '=', user.deviceId)
      .execute();
    expect(installations).toEqual([]);
  });

  it("a refresh replaces the device's stored components, unless it is refused as a clone's", async () => {
    const user = await owner(provider, 'hardware');
    const stored = async () =>
      Object.fromEntries(
        (
          await provider.app.keyport.registry.db
            .selectFrom('device_components')
            .select(['name', 'hmac'])
            .where('device_id', '=', user.deviceId)
            .execute()
        ).map((row) => [row.name, row.hmac]),
      );
    const now = machineComponents('hardware-now');
    const [original, clone] = [hexOf('hw-original'), hexOf('hw-clone')];
    expect((await user.refresh(original, { components: now })).status).toBe(200);
    expect(await stored()).toEqual(now);
    const fewer = { 'cpu.model': hexOf('hw-cpu') };
    expect((await user.refresh(original, { components: fewer })).status).toBe(200);
    expect(await stored()).toEqual(fewer);
    // Without components the stored ones stay.
    expect((await user.refresh(original)).status).toBe(200);
    expect(await stored()).toEqual(fewer);

    // The clone's first refresh is answered (a reinstall, for all anyone knows) and its
    // hardware stored; the original's return flags the device and stores its own again.
    const cloneMachine = machineComponents('the-clone-machine');
    expect((await user.refreshWith(clone, cloneMachine)).status).toBe(200);
    expect(await stored()).toEqual(cloneMachine);
    expect((await user.refreshWith(original, fewer)).status).toBe(200);
    expect(await user.flags()).toEqual(['in-use-on-two-machines']);
    expect(await stored()).toEqual(fewer);
    expectProblem(await user.refreshWith(clone, cloneMachine), 409, 'DEVICE_CLONED');
    expect(await stored()).toEqual(fewer);
  });

  it("records nothing on another user's device, and answers as for any device that is not yours", async () => {
    const victim = await owner(provider, 'clone-victim');
    const other = await createUser(provider, 'clone-other');
    const response = await provider.api('POST', '/v1/licenses/refresh', {
      token: other.token,
      body: {
        softwareId: SW,
        deviceId: victim.deviceId,
        installationId: hexOf('intruder'),
        components: machineComponents('intruder'),
      },
    });
    expectProblem(response, 403, 'NOT_REGISTERED');
    const db = provider.app.keyport.registry.db;
    expect(
      await db
        .selectFrom('device_installations')
        .selectAll()
        .where('device_id', '=', victim.deviceId)
        .execute(),
    ).toEqual([]);
    expect(
      await db.selectFrom('device_components').selectAll().where('device_id', '=', victim.deviceId).execute(),
    ).toEqual([]);
  });

  it('answers parallel refreshes of many programs from one installation, and flags nothing', async () => {
    const { token } = await createUser(provider, 'parallel-refresher');
    const installationId = hexOf('parallel-installation');
    const { deviceId } = await enrolReporting(provider, token, { installationId });
    const programs = Array.from({ length: 8 }, (_, i) => `parallel-program-${i}`);
    for (const softwareId of programs) {
      await publishSoftware(provider, softwareId);
      await buyAndLicense(provider, token, softwareId, deviceId);
    }
    const responses = await Promise.all(
      programs.map((softwareId) =>
        provider.api('POST', '/v1/licenses/refresh', {
          token,
          body: { softwareId, deviceId, installationId },
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(programs.map(() => 200));
    const devices = await provider.api('GET', '/v1/devices', { token });
    expect(devices.body.devices[0].flags).toEqual([]);
  });

  it('flags once when the two machines refresh at the same moment, never answering 500', async () => {
    const user = await owner(provider, 'racing-clones');
    const [original, clone] = [hexOf('racing-original'), hexOf('racing-clone')];
    const hw = machineAndClone('racing-machine');
    expect((await user.refreshWith(original, hw.machine)).status).toBe(200);
    expect((await user.refreshWith(clone, hw.clone)).status).toBe(200);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        provider.api('POST', '/v1/licenses/refresh', {
          token: user.token,
          body: {
            softwareId: SW,
            deviceId: user.deviceId,
            ...(i % 2 === 0
              ? { installationId: original, components: hw.machine }
              : { installationId: clone, components: hw.clone }),
          },
        }),
      ),
    );
    for (const response of responses) {
      if (response.status !== 200) expectProblem(response, 409, 'DEVICE_CLONED');
    }
    expect(await user.flags()).toEqual(['in-use-on-two-machines']);
    expect(await user.clonedEvents()).toHaveLength(1);
    // Whichever request flagged it, the original is the one seen first.
    expect((await user.refreshWith(original, hw.machine)).status).toBe(200);
    expectProblem(await user.refreshWith(clone, hw.clone), 409, 'DEVICE_CLONED');
  });

  it('refuses bad installation IDs and components on refresh with 400 VALIDATION', async () => {
    const user = await owner(provider, 'bad-refresh');
    expectValidation(await user.refresh(undefined, { installationId: 'not-hex' }), 'body.installationId');
    expectValidation(
      await user.refresh(undefined, { components: { serial: hexOf('x') } }),
      'body.components',
    );
    expectValidation(
      await user.refresh(undefined, { components: { 'disk.serial': 'WD-123456' } }),
      'body.components.disk.serial',
    );
  });
});

describe('clonePolicy: flag', () => {
  let provider: TestProvider;
  beforeAll(async () => {
    provider = await setUp('flag');
  });
  afterAll(() => provider.close());

  it('flags the device once and writes the event, but answers both installations', async () => {
    const user = await owner(provider, 'flag-only');
    const [original, clone] = [hexOf('flag-original'), hexOf('flag-clone')];
    const hw = machineAndClone('flag-machine');
    for (let i = 0; i < 3; i++) {
      expect((await user.refreshWith(original, hw.machine)).status).toBe(200);
      expect((await user.refreshWith(clone, hw.clone)).status).toBe(200);
    }
    expect((await user.refresh()).status).toBe(200);
    expect(await user.flags()).toEqual(['in-use-on-two-machines']);
    expect(await user.clonedEvents()).toHaveLength(1);
  });
});
