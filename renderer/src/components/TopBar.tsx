import type { AppStatus } from '../../../shared/client-api.ts';
import { useStatusStore } from '../stores/status.ts';

export function TopBar({ status }: { status: AppStatus }) {
  const signOut = useStatusStore((s) => s.signOut);
  const pending = useStatusStore((s) => s.pending);
  return (
    <header className="topbar">
      <div className="brand">
        <span className="logo" aria-hidden="true">
          K
        </span>
        Keyport
      </div>
      <div className="topbar-right">
        <span
          className={`pill ${status.online ? 'pill-ok' : 'pill-warn'}`}
          title={status.providerUrl}
          data-testid="online"
        >
          <span className="dot" aria-hidden="true" />
          {status.online ? 'Online' : 'Offline'}
        </span>
        {status.user ? (
          <>
            <span className="user" data-testid="user">
              {status.user.displayName}
            </span>
            <button
              type="button"
              className="quiet"
              onClick={() => void signOut()}
              disabled={pending !== null}
            >
              Sign out
            </button>
          </>
        ) : null}
      </div>
    </header>
  );
}
