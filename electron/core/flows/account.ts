/** The account flow: status, creating an account, signing in and out. */
import type { AppApi, AppStatus } from '../../../shared/app-api/app-api.ts';
import type { CoreParts } from '../core-parts.ts';

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
  const { provider, session, device } = parts;

  async function begin(started: { user: AppStatus['user']; token: string }): Promise<AppStatus> {
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
