import type { LibraryItem } from '@shared/app-api/app-api.ts';
import { useLibraryStore } from '../../stores/library.ts';
import { Dialog } from '../../ui/Dialog.tsx';
import { ErrorNotice, Loading } from '../../ui/Notices.tsx';

/** The newest run's log of one program, as the app wrote it. */
export function LogDialog({ item }: { item: Pick<LibraryItem, 'softwareId' | 'name'> }) {
  const view = useLibraryStore((s) => s.logView);
  const { closeLog, readLog } = useLibraryStore.getState();
  if (!view) return null;
  const { log } = view;

  return (
    <Dialog
      title={`Log of ${item.name}`}
      description="What the program wrote the last time it ran on this device."
      onClose={closeLog}
      size="wide"
      testId="log-dialog"
      footer={
        <button type="button" className="primary" onClick={closeLog}>
          Close
        </button>
      }
    >
      {view.loading ? <Loading label="Reading the log…" /> : null}
      {view.error ? <ErrorNotice error={view.error} onRetry={() => void readLog(item.softwareId)} /> : null}
      {!view.loading && !view.error && !log ? (
        <p className="muted">{item.name} has not run on this device yet, so there is no log.</p>
      ) : null}
      {log ? (
        <>
          <p className="log-path">
            <span className="muted">File </span>
            <code data-testid="log-path">{log.logPath}</code>
          </p>
          {log.truncated ? (
            <p className="log-truncated" data-testid="log-truncated">
              The log is long: this shows its end. The whole log is in the file above.
            </p>
          ) : null}
          {/* Focusable so the keyboard can scroll it. */}
          <pre
            className="log-text"
            tabIndex={0}
            aria-label={`Log text of ${item.name}`}
            data-testid="log-text"
          >
            {log.text || '(the log is empty)'}
          </pre>
        </>
      ) : null}
    </Dialog>
  );
}
