/**
 * The account flow: status, creating an account, signing in and out. A profile belongs to
 * the first account signed in on it (profile-owner.ts): another account is refused.
 */
import type { AppApi, AppStatus } from '../../../shared/app-api/app-api.ts';
import type { User } from '../../../shared/provider-api/schemas.ts';
import type { CoreParts } from '../core-parts.ts';
import { checkProfileAccount, recordProfileAccount } from '../profile-owner.ts';

type AccountFlow = Pick<AppApi, 'getStatus' | 'createAccount' | 'signIn' | 'signOut'>;

export function describeStatus(parts: CoreParts): AppStatus {
  const { options, state, secrets } = parts;
  return {
    providerUrl: options.providerUrl,
    online: parts.reachability.online,
    user: state.current.user,
    device: parts.device.summary(),
    secretStore: { kind: secrets.kind, description: secrets.description },
    profileDir: options.profileDir,
    dataDir: options.dataDir,
  };
}

export function accountFlow(parts: CoreParts): AccountFlow {
  const { provider, session, device, state, options } = parts;

  async function begin(started: { user: User; token: string }): Promise<AppStatus> {
    try {
      checkProfileAccount(state, started.user, options.profileDir);
    } catch (error) {
      // The provider's new session is not this profile's: end it rather than leave it behind.
      await provider.signOut(started.token).catch(() => undefined);
      throw error;
    }
    await recordProfileAccount(state, started.user);
    await session.begin(started);
    await device.listAccountDevices();
    parts.announceStatus();
    return describeStatus(parts);
  }

  return {
    async getStatus() {
      // Once per process, learn this device's enrolled name (and whether it is still enrolled).
      if (session.token && !device.listed) await device.listAccountDevices().catch(() => undefined);
      return describeStatus(parts);
    },

    async createAccount({ email, password, displayName }) {
      // A new account is never the one a profile belongs to: refuse before making it.
      checkProfileAccount(state, null, options.profileDir);
      return begin(await provider.createAccount({ email, password, displayName }));
    },

    async signIn({ email, password }) {
      return begin(await provider.signIn({ email, password }));
    },

    async signOut() {
      // An ended or offline session still signs out here.
      if (session.token) await provider.signOut().catch(() => undefined);
      await session.end();
      return describeStatus(parts);
    },
  };
}
