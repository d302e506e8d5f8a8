import type { AppStatus } from '@shared/app-api/app-api.ts';
import { useLibraryStore } from '../stores/library.ts';
import { useNavigationStore, type View } from '../stores/navigation.ts';
import { useSessionStore } from '../stores/session.ts';
import type { ShownError } from '../errors.ts';
import { Brand } from '../ui/Brand.tsx';

const VIEWS: Array<{ view: View; label: string; icon: string }> = [
  { view: 'library', label: 'Library', icon: '▦' },
  { view: 'store', label: 'Store', icon: '◈' },
  { view: 'devices', label: 'Devices', icon: '▭' },
];

interface Connection {
  tone: 'ok' | 'warn' | 'bad';
  label: string;
  /** What the window is doing about it. */
  hint?: string;
}

/**
 * The connection as it really is. A local app that does not answer comes first: then the
 * status is only what it said last, and "Online" from back then would be a claim about now.
 */
export function describeConnection(
  status: AppStatus,
  answering: boolean,
  problem: ShownError | null,
): Connection {
  if (!answering) return { tone: 'bad', label: 'Not answering', hint: 'Reconnecting…' };
  if (problem) return { tone: 'bad', label: 'Not connected' };
  return status.online ? { tone: 'ok', label: 'Online' } : { tone: 'warn', label: 'Offline' };
}

/** Navigation, this device, and who is signed in. */
export function Sidebar({ status }: { status: AppStatus }) {
  const view = useNavigationStore((s) => s.view);
  const go = useNavigationStore((s) => s.go);
  const installing = useLibraryStore(
    (s) => Object.values(s.copies).filter((copy) => copy.busy === 'install').length,
  );
  const signOut = useSessionStore((s) => s.signOut);
  const pending = useSessionStore((s) => s.pending);
  const answering = useSessionStore((s) => s.answering);
  const problem = useSessionStore((s) => s.problem);
  const connection = describeConnection(status, answering, problem);
  const { device, user } = status;

  return (
    <aside className="sidebar">
      <Brand />
      <nav aria-label="Main" className="nav">
        {VIEWS.map((item) => (
          <button
            key={item.view}
            type="button"
            className={`nav-item${view === item.view ? ' active' : ''}`}
            aria-current={view === item.view ? 'page' : undefined}
            onClick={() => go(item.view)}
            data-testid={`nav-${item.view}`}
          >
            <span className="nav-icon" aria-hidden="true">
              {item.icon}
            </span>
            {item.label}
            {item.view === 'library' && installing > 0 ? (
              <span className="nav-count" aria-label={`${installing} installing`}>
                {installing}
              </span>
            ) : null}
          </button>
        ))}
      </nav>
      <div className="sidebar-foot">
        <section className="this-device" aria-label="This device" data-testid="this-device">
          <span className="eyebrow">This device</span>
          <strong data-testid="device-name">{device.name}</strong>
          <code data-testid="device-id" title={device.deviceId}>
            {device.shortId}
          </code>
          <span aria-live="polite" className="connection-line">
            <span className={`connection ${connection.tone}`} data-testid="online">
              <span className="dot" aria-hidden="true" />
              {connection.label}
            </span>
            {connection.hint ? <span className="connection-hint">{connection.hint}</span> : null}
          </span>
        </section>
        {user ? (
          <div className="account">
            <div className="account-text">
              <strong data-testid="user">{user.displayName}</strong>
              <span className="muted">{user.email}</span>
            </div>
            <button
              type="button"
              className="quiet small"
              onClick={() => void signOut()}
              disabled={pending !== null}
            >
              Sign out
            </button>
          </div>
        ) : null}
      </div>
    </aside>
  );
}
