import type { InstallProgress } from '../../../../shared/client-api.ts';
import { formatBytes } from '../../../../shared/format.ts';
import { formatEta } from '../../format.ts';

const PHASES: Record<InstallProgress['phase'], string> = {
  downloading: 'Downloading',
  verifying: 'Checking the download',
  installing: 'Installing',
  licensing: 'Getting the license key',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export function InstallProgressBar({ progress }: { progress: InstallProgress }) {
  const total = progress.totalBytes;
  const downloading = progress.phase === 'downloading';
  const details = [
    total !== null
      ? `${formatBytes(progress.receivedBytes)} of ${formatBytes(total)}`
      : formatBytes(progress.receivedBytes),
    downloading && progress.bytesPerSecond > 0 ? `${formatBytes(progress.bytesPerSecond)}/s` : null,
    downloading ? formatEta(progress.etaSeconds) : null,
  ].filter((part): part is string => part !== null);
  return (
    <div className="progress" data-testid={`progress-${progress.softwareId}`}>
      <div className="progress-label">
        <span>{PHASES[progress.phase]}</span>
        <span className="muted">{details.join(' · ')}</span>
      </div>
      {/* Without a known total the bar is indeterminate (no value). */}
      {total !== null && total > 0 ? (
        <progress max={total} value={Math.min(progress.receivedBytes, total)} />
      ) : (
        <progress />
      )}
      {progress.phase === 'failed' && progress.message ? <p className="error">{progress.message}</p> : null}
    </div>
  );
}
