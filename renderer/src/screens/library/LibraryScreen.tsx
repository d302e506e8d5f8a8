import { useEffect, type ReactNode } from 'react';
import type { SyncReport } from '@shared/app-api/app-api.ts';
import { plural } from '../../format.ts';
import { isOnThisDevice, useLibraryStore } from '../../stores/library.ts';
import { useNavigationStore } from '../../stores/navigation.ts';
import { EmptyState, ErrorNotice, Skeleton } from '../../ui/Notices.tsx';
import { CopyMovedAway } from './CopyMovedAway.tsx';
import { CopyOnOtherDevice } from './CopyOnOtherDevice.tsx';
import { CopyOnThisDevice } from './CopyOnThisDevice.tsx';
import { LogDialog } from './LogDialog.tsx';
import './library.css';

/** What "Check for changes" found, in a sentence. */
export function describeSync(report: SyncReport): string {
  const parts = [
    report.arrivals.length > 0 ? `${plural(report.arrivals.length, 'program')} arrived on this device` : null,
    report.departures.length > 0 ? `${plural(report.departures.length, 'program')} moved away` : null,
    report.refreshed.length > 0 ? `${plural(report.refreshed.length, 'license')} renewed` : null,
  ].filter((part): part is string => part !== null);
  if (parts.length === 0) return 'Everything is up to date.';
  const sentence = parts.join(', ');
  return `${sentence[0]!.toUpperCase()}${sentence.slice(1)}.`;
}

const browseStore = () => useNavigationStore.getState().go('store');

/**
 * The library: what is registered to this device (install, run, uninstall), what is on
 * the user's other devices (move it here), and what has moved away. It checks with the
 * provider when asked and when the window comes back into focus, since copies can move
 * from another device at any time.
 */
export function LibraryScreen() {
  const items = useLibraryStore((s) => s.items);
  const loaded = useLibraryStore((s) => s.loaded);
  const error = useLibraryStore((s) => s.error);
  const refreshing = useLibraryStore((s) => s.refreshing);
  const logView = useLibraryStore((s) => s.logView);

  useEffect(() => {
    const library = useLibraryStore.getState();
    if (!library.loaded && !library.refreshing) void library.refresh();
    const onFocus = () => void useLibraryStore.getState().syncIfStale();
    window.addEventListener('focus', onFocus);
    return () => window.removeEventListener('focus', onFocus);
  }, []);

  const here = items.filter(isOnThisDevice);
  const elsewhere = items.filter((item) => item.state === 'elsewhere');
  const moved = items.filter((item) => item.state === 'moved');
  const installed = here.filter((item) => item.installed).length;
  const logItem = logView ? items.find((item) => item.softwareId === logView.softwareId) : undefined;
  const retry = () => void useLibraryStore.getState().refresh();

  let content: ReactNode;
  if (!loaded) {
    content = <Skeleton rows={3} label="Loading your library…" />;
  } else if (items.length === 0 && error) {
    content = <ErrorNotice error={error} onRetry={retry} retrying={refreshing} testId="library-error" />;
  } else if (items.length === 0) {
    content = (
      <EmptyState
        title="Your library is empty"
        testId="library-empty"
        action={
          <button type="button" className="primary" onClick={browseStore}>
            Browse the store
          </button>
        }
      >
        What you buy is registered to this device and shows up here, ready to install. You pay once and can
        move it to another of your devices later.
      </EmptyState>
    );
  } else {
    content = (
      <>
        {error ? (
          <ErrorNotice error={error} onRetry={retry} retrying={refreshing} testId="library-error" />
        ) : null}
        <LibrarySection
          id="library-here"
          title="On this device"
          count={here.length}
          hint={here.length > 0 ? `${installed} of ${here.length} installed` : undefined}
        >
          {here.length > 0 ? (
            <ul className="copy-list">
              {here.map((item) => (
                <CopyOnThisDevice key={item.softwareId} item={item} />
              ))}
            </ul>
          ) : (
            <p className="library-none">
              Nothing is registered to this device yet. Move something here from another of your devices, or{' '}
              <button type="button" className="link-button" onClick={browseStore}>
                browse the store
              </button>
              .
            </p>
          )}
        </LibrarySection>
        {elsewhere.length > 0 ? (
          <LibrarySection
            id="library-elsewhere"
            title="On your other devices"
            count={elsewhere.length}
            hint="Moving a copy here costs nothing; it stops running on the other device."
          >
            <ul className="copy-list">
              {elsewhere.map((item) => (
                <CopyOnOtherDevice key={item.softwareId} item={item} />
              ))}
            </ul>
          </LibrarySection>
        ) : null}
        {moved.length > 0 ? (
          <LibrarySection id="library-moved" title="Moved away" count={moved.length}>
            <ul className="copy-list">
              {moved.map((item) => (
                <CopyMovedAway key={item.softwareId} item={item} />
              ))}
            </ul>
          </LibrarySection>
        ) : null}
      </>
    );
  }

  return (
    <div className="library-screen" data-testid="library-screen">
      <header className="page-header">
        <div>
          <h1>Library</h1>
          <p>
            {loaded && items.length > 0
              ? `${plural(items.length, 'program')} you own · ${installed} installed here`
              : 'Everything you bought, on whichever of your devices it lives.'}
          </p>
        </div>
        <SyncControl />
      </header>
      <SyncError />
      {content}
      {logView ? (
        <LogDialog item={logItem ?? { softwareId: logView.softwareId, name: logView.softwareId }} />
      ) : null}
    </div>
  );
}

function LibrarySection({
  id,
  title,
  count,
  hint,
  children,
}: {
  id: string;
  title: string;
  count: number;
  hint?: string;
  children: ReactNode;
}) {
  return (
    <section className="library-section" aria-labelledby={`${id}-title`} data-testid={id}>
      <div className="library-section-header">
        <h2 id={`${id}-title`}>
          {title} <span className="library-count">{count}</span>
        </h2>
        {hint ? <p className="muted">{hint}</p> : null}
      </div>
      {children}
    </section>
  );
}

/** "Check for changes", and what it found. */
function SyncControl() {
  const syncing = useLibraryStore((s) => s.syncing);
  const report = useLibraryStore((s) => s.syncReport);
  const sync = () => void useLibraryStore.getState().sync();
  return (
    <div className="library-sync">
      <div className="library-sync-row">
        <p className="library-sync-result" role="status" data-testid="sync-result">
          {syncing ? 'Checking with the store…' : report ? describeSync(report) : ''}
        </p>
        <button type="button" onClick={sync} disabled={syncing}>
          <span className={`sync-glyph${syncing ? ' sync-glyph-spinning' : ''}`} aria-hidden="true">
            ↻
          </span>
          {syncing ? 'Checking…' : 'Check for changes'}
        </button>
      </div>
    </div>
  );
}

/** A failed check, across the page under the header, where there is room for the sentence. */
function SyncError() {
  const syncing = useLibraryStore((s) => s.syncing);
  const error = useLibraryStore((s) => s.syncError);
  if (!error) return null;
  const sync = () => void useLibraryStore.getState().sync();
  return <ErrorNotice error={error} testId="sync-error" onRetry={sync} retrying={syncing} />;
}
