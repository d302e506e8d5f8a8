/** Ctrl-C and SIGTERM reach a command's stop handler once, and never after it unsubscribed. */
import { describe, expect, it, vi } from 'vitest';
import { onStopSignal } from './stop-signals.ts';

describe('onStopSignal', () => {
  it('calls the handler once, on the first of SIGINT and SIGTERM', () => {
    const handler = vi.fn();
    const before = process.listenerCount('SIGTERM');
    onStopSignal(handler);
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGINT', 'SIGINT');
    expect(handler).toHaveBeenCalledTimes(1);
    expect(handler).toHaveBeenCalledWith('SIGTERM');
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });

  it('stops listening when asked', () => {
    const handler = vi.fn();
    const before = process.listenerCount('SIGINT');
    const stop = onStopSignal(handler);
    stop();
    expect(process.listenerCount('SIGINT')).toBe(before);
    process.emit('SIGINT', 'SIGINT');
    expect(handler).not.toHaveBeenCalled();
  });
});
