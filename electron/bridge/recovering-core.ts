/**
 * What a shell (Electron or web) holds: the core, or — when the core could not
 * start — a stand-in that answers every call with the startup error, so the window still
 * opens and says what went wrong and what to do (e.g. "no keychain answers; unlock it or
 * start with --insecure-secret-file"), instead of a crash or an empty window.
 *
 * Each call after a failure tries to open the core again (at most once a second), so
 * fixing the cause and pressing "Try again" in the window recovers without a restart.
 */
import type { AppApi, AppEvent, AppEventSource } from '../../shared/app-api/app-api.ts';
import { APP_METHODS } from '../../shared/app-api/app-api.ts';
import { toAppError, type AppError } from '../../shared/app-api/app-errors.ts';

/** The core as the shells see it (`KeyportCore` from `core/core.ts` fits). */
export type ShellCore = AppApi & AppEventSource & { close(): Promise<void> };

export interface RecoveringCore extends ShellCore {
  /** Resolves when the first attempt to open the core has finished: null, or why it failed. */
  ready(): Promise<AppError | null>;
}

const RETRY_INTERVAL_MS = 1000;

export function createRecoveringCore(
  open: () => Promise<ShellCore>,
  options: { now?: () => number } = {},
): RecoveringCore {
  const now = options.now ?? Date.now;
  const listeners = new Set<(event: AppEvent) => void>();
  let core: ShellCore | null = null;
  let unsubscribeCore: (() => void) | null = null;
  let attempt: Promise<ShellCore>;
  let lastError: AppError | null = null;
  let lastFailureAt = -Infinity;
  let closed = false;

  const start = (): Promise<ShellCore> => {
    // From here on, `lastError` set means this attempt failed (and when).
    lastError = null;
    const current = open().then(
      async (opened) => {
        if (closed) {
          await opened.close();
          throw toAppError(new Error('Keyport is shutting down.'));
        }
        core = opened;
        unsubscribeCore = opened.subscribe((event) => {
          for (const listener of listeners) listener(event);
        });
        return opened;
      },
      (error: unknown) => {
        lastError = toAppError(error);
        lastFailureAt = now();
        throw lastError;
      },
    );
    attempt = current;
    // Failures are reported to the callers that await the attempt; this copy only keeps
    // an unawaited rejection from being reported as unhandled.
    current.catch(() => undefined);
    return current;
  };

  const first = start();

  const current = async (): Promise<ShellCore> => {
    if (core) return core;
    if (closed) throw toAppError(new Error('Keyport is shutting down.'));
    // Only a failed attempt is retried, at most once a second; calls made while an
    // attempt runs (or within a second of its failure) share it and its outcome.
    if (lastError && now() - lastFailureAt >= RETRY_INTERVAL_MS) start();
    return attempt;
  };

  const methods = Object.fromEntries(
    APP_METHODS.map((method) => [
      method,
      async (input: unknown) => {
        const core = await current();
        return (core[method] as (input: unknown) => Promise<unknown>).call(core, input);
      },
    ]),
  ) as unknown as AppApi;

  return {
    ...methods,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ready: () =>
      first.then(
        () => null,
        (error: unknown) => toAppError(error),
      ),
    async close() {
      closed = true;
      unsubscribeCore?.();
      listeners.clear();
      if (core) await core.close();
    },
  };
}
