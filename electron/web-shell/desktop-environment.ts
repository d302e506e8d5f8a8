/**
 * What the desktop around the app offers: whether a window can appear at all, and
 * whether a program found on disk can be started. Used by the packaged app's launcher
 * and the web shell's window, and by `npm start` when it looks for Electron.
 */
import { accessSync, constants } from 'node:fs';

/** Whether `file` can be run (on Windows, where there is no execute bit: whether it exists). */
export function isExecutable(file: string, platform: NodeJS.Platform = process.platform): boolean {
  try {
    accessSync(file, platform === 'win32' ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether a window can appear at all: on Linux and the BSDs that takes X11 or Wayland. */
export function findDisplay(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): { ok: true } | { missing: string } {
  if (platform === 'win32' || platform === 'darwin') return { ok: true };
  if (env.DISPLAY || env.WAYLAND_DISPLAY) return { ok: true };
  return { missing: 'there is no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
}
