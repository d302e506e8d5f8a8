import type { CopyState, LibraryItem } from '../../../../shared/client-api.ts';
import { formatDate } from '../../format.ts';
import { useLibraryStore } from '../../stores/library.ts';
import { InstallProgressBar } from './InstallProgressBar.tsx';

const STATES: Record<CopyState, { label: string; tone: string }> = {
  'ready-to-install': { label: 'Ready to install', tone: 'info' },
  installed: { label: 'Installed', tone: 'ok' },
  'needs-license': { label: 'Needs a license', tone: 'warn' },
  elsewhere: { label: 'On another device', tone: 'muted' },
  moved: { label: 'Moved away', tone: 'muted' },
};

function CopyRow({ item }: { item: LibraryItem }) {
  const busy = useLibraryStore((s) => s.busy[item.softwareId]);
  const progress = useLibraryStore((s) => s.progress[item.softwareId]);
  const run = useLibraryStore((s) => s.runs[item.softwareId]);
  const error = useLibraryStore((s) => s.itemErrors[item.softwareId]);
  const { install, cancelInstall, uninstall, run: runCopy } = useLibraryStore.getState();
  const state = STATES[item.state];
  const canInstall = item.state === 'ready-to-install' || item.state === 'needs-license';
  const installed = item.installed !== null;
  const leaseEnds = formatDate(item.licenseExpiresAt);

  return (
    <li className="row copy" data-testid={`library-${item.softwareId}`}>
      <div className="row-top">
        <div className="row-main">
          <div className="row-title">
            <strong>{item.name}</strong>
            <span className={`badge badge-${state.tone}`}>{state.label}</span>
            {item.installed ? <span className="muted">v{item.installed.version}</span> : null}
          </div>
          <p className="summary">{item.summary}</p>
          {item.state === 'elsewhere' && item.registeredDeviceName ? (
            <p className="muted">Registered to {item.registeredDeviceName}.</p>
          ) : null}
          {leaseEnds && installed ? <p className="muted">License lease until {leaseEnds}.</p> : null}
          {item.problem ? <p className="warn">{item.problem}</p> : null}
        </div>
        <div className="row-actions">
          {busy === 'install' ? (
            <button type="button" className="quiet" onClick={() => void cancelInstall(item.softwareId)}>
              Cancel
            </button>
          ) : canInstall ? (
            <button
              type="button"
              className="primary"
              disabled={busy !== undefined}
              onClick={() => void install(item.softwareId)}
            >
              {item.state === 'needs-license' && installed ? 'Get license' : 'Install'}
            </button>
          ) : null}
          {item.state === 'installed' ? (
            <button
              type="button"
              className="primary"
              disabled={busy !== undefined}
              onClick={() => void runCopy(item.softwareId)}
            >
              {busy === 'run' ? 'Running…' : 'Run'}
            </button>
          ) : null}
          {installed ? (
            <button
              type="button"
              className="quiet"
              disabled={busy !== undefined}
              onClick={() => void uninstall(item.softwareId)}
            >
              {busy === 'uninstall' ? 'Removing…' : 'Uninstall'}
            </button>
          ) : null}
        </div>
      </div>
      {busy === 'install' && progress ? <InstallProgressBar progress={progress} /> : null}
      {error ? (
        <p className="error" role="alert">
          {error.message}
        </p>
      ) : null}
      {run ? (
        <div className="run-output" data-testid={`run-${item.softwareId}`}>
          <div className="muted">
            {run.exitCode === 0
              ? 'Last run finished.'
              : run.signal
                ? `Last run was stopped by ${run.signal}.`
                : `Last run exited with code ${run.exitCode}.`}
          </div>
          <pre>{run.output || '(no output)'}</pre>
        </div>
      ) : null}
    </li>
  );
}

export function LibraryScreen() {
  const items = useLibraryStore((s) => s.items);
  const loaded = useLibraryStore((s) => s.loaded);
  const error = useLibraryStore((s) => s.error);
  return (
    <section className="card" aria-labelledby="library-title" data-testid="library">
      <h2 id="library-title">Your library</h2>
      {error ? (
        <p className="error" role="alert">
          {error.message}
        </p>
      ) : null}
      {!loaded ? <p className="muted">Loading…</p> : null}
      {loaded && !error && items.length === 0 ? (
        <p className="muted">Nothing here yet. Programs you buy in the store below appear here.</p>
      ) : null}
      <ul className="rows">
        {items.map((item) => (
          <CopyRow key={item.softwareId} item={item} />
        ))}
      </ul>
    </section>
  );
}
