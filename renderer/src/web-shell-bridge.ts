/**
 * The `AppBridge` of the web shell: calls are `POST /api/call/:method`, events an
 * NDJSON stream from `GET /api/events`, both carrying the per-launch secret.
 *
 * The secret arrives in the launch URL's fragment (`#secret=…`), which browsers never
 * send to a server; it is moved to sessionStorage (so a reload keeps working, and it
 * dies with the tab) and wiped from the address bar and history at once.
 *
 * Unlike Electron's window, this one outlives the process that serves it: the bridge says
 * when that process stops answering (a call or the event stream cannot reach it) and when it
 * answers again, and keeps reconnecting the stream with backoff meanwhile.
 */
import {
  WEB_SHELL_SECRET_HEADER,
  type AppBridge,
  type AppEnvelope,
  type AppEvent,
} from '@shared/app-api/app-api.ts';

const SECRET_STORAGE_KEY = 'keyport.web-shell.secret';

const NO_SECRET =
  'This window was opened without the key of this Keyport session. Open Keyport from the link `npm start` printed.';
/** What a call answers while the local app is gone; screens recognise it with `isNotAnswering`. */
export const NOT_ANSWERING =
  'Keyport is not answering on this computer: the app that opened this window has stopped. ' +
  'This window keeps trying to reach it; if Keyport is no longer running, start it again.';

export const isNotAnswering = (error: { code: string; message: string }): boolean =>
  error.code === 'UNEXPECTED' && error.message === NOT_ANSWERING;

export interface WebShellBridge extends AppBridge {
  /** Told when the local app stops answering this window, and when it answers again. */
  onAnswering(listener: (answering: boolean) => void): () => void;
}

export function takeLaunchSecret(
  location: Pick<Location, 'hash' | 'pathname' | 'search'> = window.location,
  storage: Pick<Storage, 'getItem' | 'setItem'> = window.sessionStorage,
  history: Pick<History, 'replaceState' | 'state'> = window.history,
): string | null {
  const fromFragment = new URLSearchParams(location.hash.replace(/^#/, '')).get('secret');
  if (fromFragment) {
    storage.setItem(SECRET_STORAGE_KEY, fromFragment);
    history.replaceState(history.state, '', `${location.pathname}${location.search}`);
    return fromFragment;
  }
  return storage.getItem(SECRET_STORAGE_KEY);
}

function failure(code: 'UNAUTHENTICATED' | 'UNEXPECTED', message: string): AppEnvelope {
  return { ok: false, error: { code, message } };
}

function isEnvelope(value: unknown): value is AppEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  if (candidate.ok === true) return 'value' in candidate;
  return (
    candidate.ok === false &&
    typeof candidate.error?.code === 'string' &&
    typeof candidate.error.message === 'string'
  );
}

export function createWebShellBridge(secret: string | null, fetchImpl: typeof fetch = fetch): WebShellBridge {
  const listeners = new Set<(event: AppEvent) => void>();
  const answeringListeners = new Set<(answering: boolean) => void>();
  let answering = true;
  /** Ends the stream's wait before its next reconnect. */
  let wake: () => void = () => undefined;
  let stream: AbortController | null = null;
  /**
   * Settles once the event stream is connected (the shell subscribes before it answers),
   * so calls made right after `onEvent` cannot miss the events they cause — as over IPC.
   */
  let streamReady: Promise<void> = Promise.resolve();
  let markReady: () => void = () => undefined;

  const emit = (event: AppEvent) => {
    for (const listener of listeners) listener(event);
  };

  /** Any HTTP answer counts (even a refusal): only a request that reaches nothing does not. */
  const setAnswering = (now: boolean) => {
    if (now === answering) return;
    answering = now;
    // A call got through: the stream need not wait out its backoff to follow.
    if (now) wake();
    for (const listener of answeringListeners) listener(now);
  };

  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
      signal.addEventListener('abort', done);
    });

  /** One shared connection for all listeners; reconnects with backoff while any listen. */
  const pump = async (signal: AbortSignal): Promise<void> => {
    let delay = 500;
    let connectedBefore = false;
    while (!signal.aborted && secret) {
      try {
        const response = await fetchImpl('/api/events', {
          headers: { [WEB_SHELL_SECRET_HEADER]: secret },
          cache: 'no-store',
          credentials: 'omit',
          signal,
        });
        setAnswering(true);
        // Refusals do not heal by retrying.
        if (response.status === 401 || response.status === 403) return markReady();
        if (response.ok && response.body) {
          markReady();
          delay = 500;
          // Events sent while the stream was down are lost: have the screens reload.
          if (connectedBefore) emit({ name: 'library-changed', payload: { reason: 'reconnected' } });
          connectedBefore = true;
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break; // the app closed the stream: it is stopping
            buffer += value;
            let newline: number;
            while ((newline = buffer.indexOf('\n')) >= 0) {
              const line = buffer.slice(0, newline).trim();
              buffer = buffer.slice(newline + 1);
              if (!line) continue; // heartbeat
              try {
                emit(JSON.parse(line) as AppEvent);
              } catch {
                // A torn or foreign line: skip it rather than drop the stream.
              }
            }
          }
          setAnswering(false);
        }
      } catch {
        if (signal.aborted) return markReady();
        setAnswering(false);
      }
      // Calls need not wait for a stream that is down.
      markReady();
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 10_000);
    }
  };

  return {
    async invoke(method, input) {
      if (!secret) return failure('UNAUTHENTICATED', NO_SECRET);
      await Promise.race([streamReady, new Promise((resolve) => setTimeout(resolve, 2000))]);
      let response: Response;
      try {
        response = await fetchImpl(`/api/call/${encodeURIComponent(method)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [WEB_SHELL_SECRET_HEADER]: secret },
          body: input === undefined ? '' : JSON.stringify(input),
          cache: 'no-store',
          credentials: 'omit',
        });
      } catch {
        setAnswering(false);
        return failure('UNEXPECTED', NOT_ANSWERING);
      }
      setAnswering(true);
      try {
        const body: unknown = await response.json();
        if (isEnvelope(body)) return body;
      } catch {
        // Not JSON: fall through to the generic sentence.
      }
      return failure(
        'UNEXPECTED',
        `Keyport answered in a way this window does not understand (HTTP ${response.status}). Reload the window.`,
      );
    },
    onAnswering(listener) {
      answeringListeners.add(listener);
      return () => answeringListeners.delete(listener);
    },
    onEvent(listener) {
      listeners.add(listener);
      if (!stream) {
        stream = new AbortController();
        streamReady = new Promise<void>((resolve) => (markReady = resolve));
        void pump(stream.signal);
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && stream) {
          stream.abort();
          stream = null;
        }
      };
    },
  };
}
