/**
 * A profile belongs to one device and one account (DESIGN §2). The first open records the
 * device (and the signed-in account, for a profile from before this was recorded); opened
 * by another device ID, or signed into another account, it refuses with a sentence naming
 * both, and changes nothing — so a second device started on the same profile can never make
 * the first one's copies look moved and lose their keys.
 */
import type { User } from '../../shared/provider-api/schemas.ts';
import { AppError } from '../../shared/app-api/app-errors.ts';
import { shortDeviceId } from '../../shared/license/license.ts';
import type { DeviceIdentity } from './device-identity.ts';
import type { LocalStateStore } from './local-state.ts';

/** Record this device as the profile's, or refuse when the profile is another device's. */
export async function claimProfileForDevice(
  state: LocalStateStore,
  identity: DeviceIdentity,
  profileDir: string,
): Promise<void> {
  const owner = state.current.owner;
  if (owner && owner.deviceId !== identity.deviceId) {
    const named = (deviceId: string, simulatedAs: string | null) =>
      `device ${shortDeviceId(deviceId)}${simulatedAs ? ` ("${simulatedAs}")` : ''}`;
    const asThatDevice = owner.simulatedAs
      ? `Start Keyport with --simulate-device ${owner.simulatedAs} to use it as that device, or give`
      : 'Give';
    throw new AppError(
      'PROFILE_OF_ANOTHER_DEVICE',
      `This profile (${profileDir}) belongs to ${named(owner.deviceId, owner.simulatedAs)}, but this is ` +
        `${named(identity.deviceId, identity.simulatedAs)}. Nothing in it was changed or deleted. ` +
        `${asThatDevice} this device a profile of its own with --profile DIR.`,
    );
  }
  if (owner) return;
  const user = state.current.user;
  await state.update((current) => {
    current.owner = {
      deviceId: identity.deviceId,
      simulatedAs: identity.simulatedAs,
      account: user ? { userId: user.userId, email: user.email } : null,
    };
  });
}

/** Refuse an account the profile does not belong to; nothing is recorded here. */
export function checkProfileAccount(
  state: LocalStateStore,
  user: Pick<User, 'userId'> | null,
  profileDir: string,
): void {
  const account = state.current.owner?.account;
  if (!account || account.userId === user?.userId) return;
  throw new AppError(
    'PROFILE_OF_ANOTHER_ACCOUNT',
    `This profile (${profileDir}) belongs to the account ${account.email}. ` +
      'Sign in with that account, or use another profile with --profile DIR.',
  );
}

/** The first account signed in here becomes the profile's. */
export async function recordProfileAccount(state: LocalStateStore, user: User): Promise<void> {
  if (!state.current.owner || state.current.owner.account) return;
  await state.update((current) => {
    if (current.owner) current.owner.account = { userId: user.userId, email: user.email };
  });
}
