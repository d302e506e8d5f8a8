/**
 * What a shell (Electron or web) holds: the core client, or — when the core could not
 * start — a stand-in that answers every call with the startup error, so the window still
 * opens and says what went wrong and what to do (e.g. "no keychain answers; unlock it or
 * start with --insecure-secret-file"), instead of a crash or an empty window.
 *
 * Each call after a failure tries to open the core again (at most once a second), so
 * fixing the cause and pressing "Try again" in the window recovers without a restart.
 */
import type { ClientApi, ClientEvent, ClientEventSource } from '../../shared/client-api.ts';
import { CLIENT_METHODS } from '../../shared/client-api.ts';
import { toClientError, type ClientError } from '../../shared/client-errors.ts';

/** The core client as the shells see it (`KeyportClient` from `core/client.ts` fits). */
export type ShellClient = ClientApi & ClientEventSource & { close(): Promise<void> };

export interface RecoveringClient extends ShellClient {
  /** Resolves when the first attempt to open the core has finished: null, or why it failed. */
  ready(): Promise<ClientError | null>;
}

const RETRY_INTERVAL_MS = 1000;

export function createRecoveringClient(
  open: () => Promise<ShellClient>,
  options: { now?: () => number } = {},
): RecoveringClient {
  const now = options.now ?? Date.now;
  const listeners = new Set<(event: ClientEvent) => void>();
  let client: ShellClient | null = null;
  let unsubscribeCore: (() => void) | null = null;
  let attempt: Promise<ShellClient>;
  let lastError: ClientError | null = null;
  let lastFailureAt = -Infinity;
  let closed = false;

  const start = (): Promise<ShellClient> => {
    // From here on, `lastError` set means this attempt failed (and when).
    lastError = null;
    const current = open().then(
      async (opened) => {
        if (closed) {
          await opened.close();
          throw toClientError(new Error('Keyport is shutting down.'));
        }
        client = opened;
        unsubscribeCore = opened.subscribe((event) => {
          for (const listener of listeners) listener(event);
        });
        return opened;
      },
      (error: unknown) => {
        lastError = toClientError(error);
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

  const current = async (): Promise<ShellClient> => {
    if (client) return client;
    if (closed) throw toClientError(new Error('Keyport is shutting down.'));
    // Only a failed attempt is retried, at most once a second; calls made while an
    // attempt runs (or within a second of its failure) share it and its outcome.
    if (lastError && now() - lastFailureAt >= RETRY_INTERVAL_MS) start();
    return attempt;
  };

  const methods = Object.fromEntries(
    CLIENT_METHODS.map((method) => [
      method,
      async (input: unknown) => {
        const core = await current();
        return (core[method] as (input: unknown) => Promise<unknown>).call(core, input);
      },
    ]),
  ) as unknown as ClientApi;

  return {
    ...methods,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ready: () =>
      first.then(
        () => null,
        (error: unknown) => toClientError(error),
      ),
    async close() {
      closed = true;
      unsubscribeCore?.();
      listeners.clear();
      if (client) await client.close();
    },
  };
}
