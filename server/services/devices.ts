/**
 * Devices (Fig. 6, S1–S3): a device ID is enrolled to one user at a time, up to the
 * device limit; enrolling again is a no-op for the same user, except that what the
 * device reports about itself (hardware components, installation, the ID's source) is
 * brought up to date. Every enrolment answers which other device of the user this one
 * most likely is (services/recognition.ts). A device is retired only once nothing is
 * registered to it, so no copy is ever left on a device that is gone.
 */
import type { Kysely, Transaction } from 'kysely';
import type { EnrolDeviceBody, Recognition } from '../../shared/provider-api/schemas.ts';
import type { ProviderContext } from '../context.ts';
import { inTransaction } from '../db/database.ts';
import type { Database, DeviceRow } from '../db/schema.ts';
import { recordEvent } from '../lib/audit.ts';
import { deleteDevice, replaceComponents } from '../lib/device-records.ts';
import { deviceToEnrol, findOwnDevice } from '../lib/ownership.ts';
import { problem } from '../lib/problem.ts';
import { noteInstallation } from './clones.ts';
import { recognise } from './recognition.ts';

export interface Enrolment {
  /** 201 when new, 200 when it was the user's already. */
  status: 200 | 201;
  device: DeviceRow;
  recognisedAs: Recognition | null;
}

/** Enrols `deviceId` to the user, or brings what it reports up to date if it is theirs. */
export function enrolDevice(ctx: ProviderContext, userId: string, body: EnrolDeviceBody): Promise<Enrolment> {
  const { deviceId } = body;
  return inTransaction(ctx.registry, async (trx) => {
    const existing = await deviceToEnrol(trx, userId, deviceId);
    let enrolment: Omit<Enrolment, 'recognisedAs'>;
    if (existing) {
      enrolment = { status: 200, device: await updateReport(ctx, trx, existing, body) };
    } else {
      await refuseOverLimit(ctx, trx, userId);
      enrolment = { status: 201, device: await addDevice(ctx, trx, userId, body, 'device.enrolled') };
    }
    return { ...enrolment, recognisedAs: await recognise(ctx, trx, userId, deviceId) };
  });
}

async function refuseOverLimit(ctx: ProviderContext, trx: Transaction<Database>, userId: string) {
  const { count } = await trx
    .selectFrom('devices')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  if (Number(count) >= ctx.settings.deviceLimit) {
    throw problem(
      'DEVICE_LIMIT',
      `your account already has ${ctx.settings.deviceLimit} devices, the most allowed; remove one you no longer use, then enrol this one`,
    );
  }
}

/**
 * A new device row with what it reports, and its audit event (`device.enrolled` by the
 * user, `device.provisioned` by an admin). The caller has checked ownership and limits.
 */
export async function addDevice(
  ctx: ProviderContext,
  trx: Transaction<Database>,
  userId: string,
  body: EnrolDeviceBody,
  eventType: 'device.enrolled' | 'device.provisioned',
): Promise<DeviceRow> {
  const { deviceId, name, platform, idSource } = body;
  const now = ctx.now();
  const device: DeviceRow = {
    device_id: deviceId,
    user_id: userId,
    name,
    platform,
    enrolled_at: now.toISOString(),
    id_source: idSource ?? null,
    installation_id: null,
    flagged_at: null,
    original_installation_id: null,
  };
  await trx.insertInto('devices').values(device).execute();
  await recordEvent(
    trx,
    {
      type: eventType,
      user_id: userId,
      device_id: deviceId,
      data: { name, platform, idSource: idSource ?? null, components: Object.keys(body.components ?? {}) },
    },
    now,
  );
  return updateReport(ctx, trx, device, {
    components: body.components,
    installationId: body.installationId,
  });
}

/**
 * What a device says about itself on every enrolment: its components (replacing the
 * previous report), the installation speaking (services/clones.ts) and the ID's source.
 */
export async function updateReport(
  ctx: ProviderContext,
  trx: Transaction<Database>,
  device: DeviceRow,
  {
    components,
    installationId,
    idSource,
  }: Pick<EnrolDeviceBody, 'components' | 'installationId' | 'idSource'>,
): Promise<DeviceRow> {
  let updated = device;
  if (components) await replaceComponents(trx, device.device_id, components);
  if (idSource !== undefined && idSource !== device.id_source) {
    await trx
      .updateTable('devices')
      .set({ id_source: idSource })
      .where('device_id', '=', device.device_id)
      .execute();
    updated = { ...updated, id_source: idSource };
  }
  if (installationId !== undefined)
    updated = await noteInstallation(ctx, trx, updated, installationId, components);
  return updated;
}

export function listDevices(db: Kysely<Database>, userId: string): Promise<DeviceRow[]> {
  return db
    .selectFrom('devices')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('enrolled_at')
    .orderBy('device_id')
    .execute();
}

export async function renameDevice(
  ctx: ProviderContext,
  userId: string,
  deviceId: string,
  name: string,
): Promise<DeviceRow> {
  const device = await ctx.registry.db
    .updateTable('devices')
    .set({ name })
    .where('device_id', '=', deviceId)
    .where('user_id', '=', userId)
    .returningAll()
    .executeTakeFirst();
  if (!device) throw problem('NOT_FOUND', 'you have no device with that ID');
  return device;
}

/** Retires one of the user's devices; refused while software is registered to it. */
export function retireDevice(ctx: ProviderContext, userId: string, deviceId: string): Promise<void> {
  return inTransaction(ctx.registry, (trx) => retireOwnDevice(ctx, trx, userId, deviceId));
}

/**
 * The rules of a retirement, inside `trx`: the device and everything kept about it go,
 * and a `device.retired` event (with `data`, e.g. the recovery that emptied it) stays.
 */
export async function retireOwnDevice(
  ctx: ProviderContext,
  trx: Transaction<Database>,
  userId: string,
  deviceId: string,
  data: Record<string, unknown> = {},
): Promise<void> {
  if (!(await findOwnDevice(trx, userId, deviceId))) {
    throw problem('NOT_FOUND', 'you have no device with that ID');
  }
  const registered = await trx
    .selectFrom('registrations')
    .select('software_id')
    .where('device_id', '=', deviceId)
    .execute();
  if (registered.length > 0) {
    throw problem(
      'DEVICE_HAS_SOFTWARE',
      `move ${registered.map((r) => r.software_id).join(', ')} to another device first, then remove this one`,
    );
  }
  await deleteDevice(trx, deviceId);
  await recordEvent(trx, { type: 'device.retired', user_id: userId, device_id: deviceId, data }, ctx.now());
}
