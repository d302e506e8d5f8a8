/** Whether a window can appear: the launcher's first question on Linux. */
import { describe, expect, it } from 'vitest';
import { findDisplay } from './desktop-environment.ts';

describe('findDisplay', () => {
  it('needs DISPLAY or WAYLAND_DISPLAY on Linux', () => {
    expect(findDisplay({}, 'linux')).toEqual({
      missing: 'there is no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set)',
    });
    expect(findDisplay({ DISPLAY: ':0' }, 'linux')).toEqual({ ok: true });
    expect(findDisplay({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toEqual({ ok: true });
  });

  it('assumes a display on Windows and macOS', () => {
    expect(findDisplay({}, 'win32')).toEqual({ ok: true });
    expect(findDisplay({}, 'darwin')).toEqual({ ok: true });
  });
});
