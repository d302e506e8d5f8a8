/**
 * Install progress for the terminal: a redrawn bar on a TTY, a line per phase otherwise
 * (so logs of scripted runs stay readable).
 */
import type { InstallProgress } from '../../shared/app-api/app-api.ts';
import { formatBytes, TERMINAL_BYTES } from '../../shared/format.ts';

export function progressLine(progress: InstallProgress, width = 24): string {
  const { receivedBytes, totalBytes } = progress;
  const fraction = totalBytes ? Math.min(1, receivedBytes / totalBytes) : 0;
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const bytes = (count: number) => formatBytes(count, TERMINAL_BYTES);
  const amount = totalBytes ? `${bytes(receivedBytes)} / ${bytes(totalBytes)}` : bytes(receivedBytes);
  const rate = progress.bytesPerSecond > 0 ? ` ${bytes(progress.bytesPerSecond)}/s` : '';
  const eta =
    progress.etaSeconds !== null && progress.phase === 'downloading' ? ` ETA ${progress.etaSeconds}s` : '';
  return `${progress.phase.padEnd(11)} ${bar} ${Math.round(fraction * 100)}% ${amount}${rate}${eta}`;
}

export function createProgressReporter(stream: NodeJS.WriteStream): (progress: InstallProgress) => void {
  let lastPhase = '';
  return (progress) => {
    if (stream.isTTY) {
      stream.write(`\r\x1b[2K${progressLine(progress)}`);
      if (['done', 'failed', 'cancelled'].includes(progress.phase)) stream.write('\n');
    } else if (progress.phase !== lastPhase) {
      stream.write(`${progressLine(progress)}\n`);
    }
    lastPhase = progress.phase;
  };
}
