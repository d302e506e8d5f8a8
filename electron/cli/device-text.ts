/**
 * What `keyport` says about devices: the ID's source, a device's line in `keyport devices`,
 * the recognition offer after enrolling, and the outcome of a recovery. Apart from the
 * command table so each sentence is tested as a person reads it.
 */
import type { DeviceSummary, RecoveryOutcome, ThisDevice } from '../../shared/app-api/app-api.ts';
import type { Recognition } from '../../shared/provider-api/schemas.ts';
import { shortDeviceId } from '../../shared/license/license.ts';

export const GENERATED_ID_NOTE =
  "This machine has no OS install ID, so this device's ID was generated; it changes if the profile is deleted.";

export function programs(count: number): string {
  return count === 1 ? '1 program' : `${count} programs`;
}

/** `ID from:` in `keyport status`: the true sources, and what a generated or simulated ID means. */
export function idSourceLine(device: Pick<ThisDevice, 'sources' | 'idSource'>): string {
  const note = {
    os: '',
    generated: ' (generated: it changes if the profile is deleted)',
    simulated: ' (simulated)',
  }[device.idSource];
  return `${device.sources.join(', ')}${note}`;
}

/** One device in `keyport devices`: this one starred, a clone flagged. */
export function deviceLine(device: DeviceSummary): string {
  const flagged = device.flags.includes('in-use-on-two-machines') ? '  — in use on two machines' : '';
  return (
    `${device.isThisDevice ? '*' : ' '} ${shortDeviceId(device.deviceId)}  ${device.name.padEnd(20)} ` +
    `${device.platform.padEnd(8)} ${device.software.length ? device.software.join(', ') : '(no software)'}${flagged}`
  );
}

/** What `keyport enrol` offers when the provider recognised an older device of this account. */
export function recognitionOffer(recognised: Recognition): string {
  const count = recognised.software.length;
  const move = count ? `to move its ${programs(count)} here` : 'to retire it in favour of this one';
  return (
    `This looks like your ${recognised.name} after a hardware change: ` +
    `run \`keyport recover --from ${JSON.stringify(recognised.name)}\` ${move}.`
  );
}

/**
 * What `keyport enrol` adds when refused at the device limit but recognised: recovering the
 * older device enrols this one in its place, so the count of devices stays the same.
 */
export function limitRecognitionOffer(recognised: Recognition): string {
  const count = recognised.software.length;
  const move = count ? ` and move its ${programs(count)} here` : '';
  return (
    `This looks like your ${recognised.name} after a hardware change: ` +
    `run \`keyport recover --from ${JSON.stringify(recognised.name)}\` to enrol this machine in its place${move}` +
    ` (${recognised.name} is retired).`
  );
}

/** What `keyport recover` reports once the copies are here. */
export function recoveryDone({ recovery, fromDeviceName }: RecoveryOutcome): string {
  const moved = recovery.copies.map((copy) => copy.softwareId);
  if (moved.length === 0) return `"${fromDeviceName}" had no programs to move; it is retired.`;
  const next =
    moved.length === 1
      ? `Install it here: keyport install ${moved[0]}`
      : 'Install each here: keyport install SOFTWARE';
  return `Moved ${programs(moved.length)} here from "${fromDeviceName}" (${moved.join(', ')}) and retired it. ${next}`;
}
