import type { InstallPhase, InstallProgress } from '@shared/app-api/app-api.ts';
import { formatBytes } from '@shared/format.ts';
import { formatEta } from '../../format.ts';

const PHASES: Record<InstallPhase, string> = {
  downloading: 'Downloading',
  installing: 'Installing',
  licensing: 'Getting the license key',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** Whole percent of the download, or null while the size is unknown. */
export function percentOf(progress: InstallProgress): number | null {
  const total = progress.totalBytes;
  if (total === null || total <= 0) return null;
  if (progress.phase !== 'downloading') return 100;
  return Math.min(100, Math.floor((progress.receivedBytes / total) * 100));
}

/**
 * One install on its way: phase, percent, bytes, speed, time left and Cancel. Before the
 * app's first progress report (`progress` undefined) the bar is indeterminate. Screen
 * readers hear the phase and the percent in steps of ten, not every report.
 */
export function InstallProgressBar({
  softwareId,
  name,
  progress,
  cancelling,
  onCancel,
}: {
  softwareId: string;
  name: string;
  progress: InstallProgress | undefined;
  cancelling: boolean;
  onCancel(): void;
}) {
  const phase = cancelling ? 'Cancelling' : progress ? PHASES[progress.phase] : 'Starting';
  const percent = progress ? percentOf(progress) : null;
  const downloading = progress?.phase === 'downloading';
  const total = progress?.totalBytes ?? null;
  const bytes = progress
    ? total !== null
      ? `${formatBytes(progress.receivedBytes)} of ${formatBytes(total)}`
      : formatBytes(progress.receivedBytes)
    : null;
  const speed =
    downloading && progress.bytesPerSecond > 0 ? `${formatBytes(progress.bytesPerSecond)}/s` : null;
  const eta = downloading ? formatEta(progress.etaSeconds) : null;
  // Past the download the app finishes the install whatever happens: nothing left to cancel.
  const pastReturn = progress?.phase === 'installing' || progress?.phase === 'licensing';
  const spoken = percent === null ? `${phase}…` : `${phase}, ${Math.floor(percent / 10) * 10}%`;

  return (
    <div className="install-progress" data-testid={`progress-${softwareId}`}>
      <div className="install-progress-top">
        <span className="install-progress-phase">{phase}…</span>
        {percent !== null ? (
          <span className="install-progress-percent" data-testid="progress-percent">
            {percent}%
          </span>
        ) : null}
      </div>
      {/* Without a known size the bar is indeterminate (no value). */}
      {percent !== null ? (
        <progress aria-label={`Installing ${name}`} max={100} value={percent} />
      ) : (
        <progress aria-label={`Installing ${name}`} />
      )}
      <div className="install-progress-bottom">
        <span className="install-progress-facts">
          {bytes ? <span data-testid="progress-bytes">{bytes}</span> : null}
          {speed ? <span data-testid="progress-speed">{speed}</span> : null}
          {eta ? <span data-testid="progress-eta">{eta}</span> : null}
        </span>
        <button type="button" className="quiet small" onClick={onCancel} disabled={cancelling || pastReturn}>
          {cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
      </div>
      <span className="visually-hidden" aria-live="polite">
        {spoken}
      </span>
    </div>
  );
}
