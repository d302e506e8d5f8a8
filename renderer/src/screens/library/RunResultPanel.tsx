import type { RunResult } from '@shared/app-api/app-api.ts';

/** How the run ended, in words, and whether that is good news. */
export function describeExit(result: RunResult): { text: string; tone: 'ok' | 'warn' } {
  if (result.signal) return { text: `Stopped by ${result.signal}`, tone: 'warn' };
  if (result.exitCode === null) return { text: 'Ended without an exit code', tone: 'warn' };
  return { text: `Exited with code ${result.exitCode}`, tone: result.exitCode === 0 ? 'ok' : 'warn' };
}

/** The last run here: how it ended, what it printed, and the way to its log. */
export function RunResultPanel({
  name,
  result,
  onOpenLog,
  onDismiss,
}: {
  name: string;
  result: RunResult;
  onOpenLog(): void;
  onDismiss(): void;
}) {
  const exit = describeExit(result);
  return (
    <section
      className="run-result"
      aria-label={`Last run of ${name}`}
      data-testid={`run-${result.softwareId}`}
    >
      <div className="run-result-head">
        <span className={`run-exit run-exit-${exit.tone}`} data-testid="run-exit">
          <span className="run-exit-dot" aria-hidden="true" />
          {exit.text}
        </span>
        <span className="run-result-actions">
          <button type="button" className="small" onClick={onOpenLog}>
            Open log
          </button>
          <button
            type="button"
            className="quiet small"
            onClick={onDismiss}
            aria-label={`Hide the output of ${name}`}
          >
            Hide
          </button>
        </span>
      </div>
      {/* Focusable so the keyboard can scroll a long output. */}
      <pre
        className="run-output"
        tabIndex={0}
        aria-label={`Output of ${name}`}
        data-testid={`run-output-${result.softwareId}`}
      >
        {result.output || '(no output)'}
      </pre>
    </section>
  );
}
