/**
 * Reachability's reconnect loop on a fake clock: the backoff it keeps while the provider
 * is down, that it ends when a request gets through, shares probes, and leaves no timer
 * behind once closed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Reachability } from './session.ts';

describe('Reachability', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** A provider that stays down until `up` is set; every probe reports what it found. */
  function world(timing = { firstDelayMs: 1000, maxDelayMs: 30_000, random: () => 0.5 }) {
    const state = { up: false, probes: [] as number[] };
    const changes: boolean[] = [];
    const reachability: Reachability = new Reachability(async () => {
      state.probes.push(Date.now());
      reachability.report(state.up);
    }, timing);
    reachability.onChange = (online) => changes.push(online);
    return { state, changes, reachability };
  }

  /** The gaps between probes, in ms. */
  const gaps = (times: number[], from: number) => times.map((t, i) => t - (i === 0 ? from : times[i - 1]!));

  it('probes with doubling delays up to 30 s while offline, then stops once back', async () => {
    const { state, changes, reachability } = world();
    const start = Date.now();
    reachability.report(false);
    expect(changes).toEqual([false]);

    await vi.advanceTimersByTimeAsync(1000 + 2000 + 4000 + 8000 + 16_000 + 30_000 + 30_000);
    expect(gaps(state.probes, start)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);

    state.up = true;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(reachability.online).toBe(true);
    expect(changes).toEqual([false, true]);
    const probes = state.probes.length;
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(state.probes).toHaveLength(probes); // online: no more probes
    expect(vi.getTimerCount()).toBe(0);
  });

  it('starts again from the first delay after the next outage', async () => {
    const { state, reachability } = world();
    reachability.report(false);
    await vi.advanceTimersByTimeAsync(1000 + 2000 + 4000);
    reachability.report(true); // a user's own call got through
    state.probes.length = 0;

    const start = Date.now();
    reachability.report(false);
    await vi.advanceTimersByTimeAsync(1000 + 2000);
    expect(gaps(state.probes, start)).toEqual([1000, 2000]);
    reachability.close();
  });

  it('spreads probes with jitter, never past the most', async () => {
    let turn = 0;
    // Alternately the two ends of the jitter: ×0.75 and ×1.25.
    const { state, reachability } = world({
      firstDelayMs: 1000,
      maxDelayMs: 30_000,
      random: () => turn++ % 2,
    });
    const start = Date.now();
    reachability.report(false);
    await vi.advanceTimersByTimeAsync(750 + 2500 + 3000 + 10_000 + 12_000 + 30_000);
    expect(gaps(state.probes, start)).toEqual([750, 2500, 3000, 10_000, 12_000, 30_000]);
    reachability.close();
  });

  it('probes at once when asked, shares one probe between a burst of asks, and keeps the backoff', async () => {
    const { state, reachability } = world();
    reachability.report(false);
    await Promise.all([reachability.retryNow(), reachability.retryNow(), reachability.retryNow()]);
    expect(state.probes).toHaveLength(1);

    state.up = true;
    await reachability.retryNow();
    expect(reachability.online).toBe(true);
    expect(state.probes).toHaveLength(2);
    await reachability.retryNow(); // online: nothing to ask
    expect(state.probes).toHaveLength(2);
  });

  it('leaves no timer and makes no probe once closed', async () => {
    const { state, reachability } = world();
    reachability.report(false);
    expect(vi.getTimerCount()).toBe(1);
    reachability.close();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    await reachability.retryNow();
    expect(state.probes).toEqual([]);
  });
});
