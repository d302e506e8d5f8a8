import { useId } from 'react';
import type { CopyState, LibraryItem } from '@shared/app-api/app-api.ts';
import { formatDate } from '../../format.ts';
import { copyActivity, useLibraryStore } from '../../stores/library.ts';
import { CoverArt } from '../../ui/CoverArt.tsx';
import { Badge, ErrorNotice } from '../../ui/Notices.tsx';
import { Sentence } from '../../ui/Sentence.tsx';
import { InstallProgressBar } from './InstallProgressBar.tsx';
import { RunResultPanel } from './RunResultPanel.tsx';
import { UninstallButton } from './UninstallDialog.tsx';

const INSTALLING = { label: 'Installing', tone: 'info' } as const;

const STATUS: Partial<Record<CopyState, { label: string; tone: 'ok' | 'info' | 'warn' }>> = {
  installed: { label: 'Installed', tone: 'ok' },
  'ready-to-install': { label: 'Ready to install', tone: 'info' },
  'needs-license': { label: 'Needs a license', tone: 'warn' },
};

/**
 * A copy registered to this device: install it (with its progress), run it (and see how
 * the run went), read its log, uninstall it.
 */
export function CopyOnThisDevice({ item }: { item: LibraryItem }) {
  const { softwareId, name } = item;
  const nameId = useId();
  const { busy, progress, run, error, cancelled, hasLog } = useLibraryStore(copyActivity(softwareId));
  const store = useLibraryStore.getState();

  const installing = busy === 'install' || busy === 'cancel';
  // While it installs, the badge says so rather than the state it is leaving.
  const status = installing ? INSTALLING : (STATUS[item.state] ?? STATUS['ready-to-install']!);
  const leaseEnds = formatDate(item.licenseExpiresAt);
  const installLabel = item.state === 'needs-license' && item.installed ? 'Get license' : 'Install';
  // The run panel has its own "Open log"; one is enough.
  const showRun = run !== undefined && busy !== 'run';

  return (
    <li className={`copy copy-here copy-${item.state}`} data-testid={`library-${softwareId}`}>
      <div className="copy-cover">
        <CoverArt softwareId={softwareId} name={name} />
      </div>
      <div className="copy-body">
        <div className="copy-heading">
          <h3 id={nameId} className="copy-name">
            {name}
          </h3>
          <span data-testid="copy-status">
            <Badge tone={status.tone}>{status.label}</Badge>
          </span>
        </div>
        {item.summary ? <p className="copy-summary">{item.summary}</p> : null}
        <ul className="copy-facts" aria-label={`About your copy of ${name}`}>
          {item.installed ? <li data-testid="copy-version">Version {item.installed.version}</li> : null}
          {item.installed && leaseEnds ? <li data-testid="copy-lease">License until {leaseEnds}</li> : null}
          {!item.installed ? <li>Registered to this device</li> : null}
        </ul>
        {item.problem && !installing ? (
          <p className="copy-problem">
            <Sentence text={item.problem} />
          </p>
        ) : null}
      </div>
      <div className="copy-actions">
        {item.state === 'installed' ? (
          <button
            type="button"
            className="primary"
            disabled={busy !== undefined}
            aria-describedby={nameId}
            onClick={() => void store.run(softwareId)}
          >
            {busy === 'run' ? 'Running…' : 'Run'}
          </button>
        ) : (
          <button
            type="button"
            className="primary"
            disabled={busy !== undefined}
            aria-describedby={nameId}
            onClick={() => void store.install(softwareId)}
          >
            {installing ? 'Installing…' : installLabel}
          </button>
        )}
        {hasLog && !showRun ? (
          <button
            type="button"
            className="quiet"
            aria-describedby={nameId}
            onClick={() => void store.readLog(softwareId)}
          >
            Open log
          </button>
        ) : null}
        {item.installed ? <UninstallButton item={item} nameId={nameId} /> : null}
      </div>

      <div className="copy-activity">
        {installing ? (
          <InstallProgressBar
            softwareId={softwareId}
            name={name}
            progress={progress}
            cancelling={busy === 'cancel'}
            onCancel={() => void store.cancelInstall(softwareId)}
          />
        ) : null}
        <p className="copy-live" role="status">
          {busy === 'run' ? (
            <span className="run-started" data-testid={`run-started-${softwareId}`}>
              <span className="spinner" aria-hidden="true" />
              {name} started
            </span>
          ) : cancelled && !installing ? (
            <span className="copy-cancelled" data-testid={`cancelled-${softwareId}`}>
              Install cancelled.
            </span>
          ) : null}
        </p>
        {error ? (
          <ErrorNotice
            error={error}
            testId={`error-${softwareId}`}
            onRetry={busy === undefined ? () => void store.retry(softwareId) : undefined}
          />
        ) : null}
        {showRun ? (
          <RunResultPanel
            name={name}
            result={run}
            onOpenLog={() => void store.readLog(softwareId)}
            onDismiss={() => store.clearRun(softwareId)}
          />
        ) : null}
      </div>
    </li>
  );
}
