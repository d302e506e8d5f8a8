import type { AppStatus } from '@shared/app-api/app-api.ts';
import { Banner } from '../ui/Notices.tsx';
import { useSessionStore } from '../stores/session.ts';

/** App-wide conditions, above every screen: offline, keys in a plain file, a lost connection. */
export function Banners({ status }: { status: AppStatus }) {
  const problem = useSessionStore((s) => s.problem);
  const reconnect = useSessionStore((s) => s.reconnect);
  const pending = useSessionStore((s) => s.pending);
  return (
    <div className="banners">
      {!status.online ? (
        <Banner
          tone="warn"
          title="You are offline."
          testId="offline-banner"
          action={
            <button
              type="button"
              className="small"
              onClick={() => void reconnect()}
              disabled={pending !== null}
            >
              {pending === 'refresh' ? 'Checking…' : 'Try again'}
            </button>
          }
        >
          Installed programs still run until their license lease ends. Buying, installing and moving copies
          need the store; Keyport keeps trying and picks up where you left off.
        </Banner>
      ) : null}
      {status.secretStore.kind === 'insecure-file' ? (
        <Banner tone="warn" title="License keys are not in a keychain." testId="keychain-banner">
          {status.secretStore.description}. You chose this with --insecure-secret-file; anyone who can read
          your files can read the keys. Start Keyport without it once a keychain is available.
        </Banner>
      ) : null}
      {problem ? (
        <Banner tone="error" title="Keyport lost touch with its core." testId="problem-banner">
          {problem.message}
        </Banner>
      ) : null}
    </div>
  );
}
