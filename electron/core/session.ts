/**
 * The signed-in session: its token (kept in the SecretStore, never in plain files) and the
 * user it belongs to (in local state). Every provider call that needs the account goes
 * through `authenticated`, so a session the provider has ended signs out here too and the
 * app asks to sign in again instead of failing call after call.
 *
 * Also whether the provider can be reached at all (`Reachability`), and the loop that keeps
 * asking while it cannot, so the app comes back online by itself.
 */
import type { AppStatus } from '../../shared/app-api/app-api.ts';
import { AppError } from '../../shared/app-api/app-errors.ts';
import type { LocalStateStore } from './local-state.ts';
import type { SecretStore } from './secret-store.ts';

const SESSION_KEY = 'session';

export class Session {
  /** Called after the session ended, for whatever caches the account's data. */
  onEnded: () => void = () => undefined;

  constructor(
    private readonly secrets: SecretStore,
    private readonly state: LocalStateStore,
    private currentToken: string | null,
  ) {}

  /** The token a previous run kept, if any. */
  static readToken(secrets: SecretStore): Promise<string | null> {
    return secrets.get(SESSION_KEY);
  }

  get token(): string | null {
    return this.currentToken;
  }

  require(): void {
    if (!this.currentToken) throw new AppError('NOT_SIGNED_IN', 'Sign in to your Keyport account first.');
  }

  /** A new session: this device counts as not enrolled until the provider's list says so. */
  async begin(session: { user: AppStatus['user']; token: string }): Promise<void> {
    this.currentToken = session.token;
    await this.secrets.set(SESSION_KEY, session.token);
    await this.state.update((state) => {
      state.user = session.user;
      state.enrolled = false;
    });
  }

  async end(): Promise<void> {
    this.currentToken = null;
    await this.secrets.delete(SESSION_KEY);
    await this.state.update((state) => {
      state.user = null;
      state.enrolled = false;
    });
    this.onEnded();
  }

  /** Run a provider call; an ended session signs out here too, so the app asks to sign in. */
  async authenticated<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof AppError && error.code === 'UNAUTHENTICATED' && this.currentToken)
        await this.end();
      throw error;
    }
  }
}

/** How long to wait between probes while offline: doubling from the first, never above the most. */
export interface ReconnectTiming {
  firstDelayMs: number;
  maxDelayMs: number;
  /** From 0 to 1: where in the ±25 % jitter a delay falls (Math.random, or fixed in tests). */
  random?: () => number;
}

/** 1 s, 2 s, 4 s … 30 s: quick after a blip, and a store that is down is not hammered. */
export const RECONNECT_TIMING: ReconnectTiming = { firstDelayMs: 1000, maxDelayMs: 30_000 };

/**
 * Whether the provider answered the last request, and — while it did not — a probe with
 * exponential backoff until it does. Every request the provider client makes reports here,
 * so a user's own call that gets through ends the loop as surely as a probe does.
 */
export class Reachability {
  private current = true;
  /** Probes failed since going offline: the exponent of the next delay. */
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private probing: Promise<void> | null = null;
  private closed = false;
  /** Told on every change, after `online` has changed. */
  onChange: (online: boolean) => void = () => undefined;

  constructor(
    /** Any request to the provider: its outcome reaches `report` through the client. */
    private readonly probe: () => Promise<unknown>,
    private readonly timing: ReconnectTiming = RECONNECT_TIMING,
  ) {}

  get online(): boolean {
    return this.current;
  }

  /** What a request found: the provider answered (whatever it said), or could not be reached. */
  report(online: boolean): void {
    if (online === this.current || this.closed) return;
    this.current = online;
    this.failures = 0;
    if (online) clearTimeout(this.timer);
    else this.schedule();
    this.onChange(online);
  }

  /**
   * Probe now instead of at the next tick of the backoff. Calls made while a probe is on
   * its way share it, so a burst of triggers is one request.
   */
  retryNow(): Promise<void> {
    if (this.current || this.closed) return Promise.resolve();
    this.probing ??= (async () => {
      clearTimeout(this.timer);
      try {
        await this.probe();
      } catch {
        // An unreachable provider has been reported already; any other answer means online.
      } finally {
        this.probing = null;
        if (!this.current) this.schedule();
      }
    })();
    return this.probing;
  }

  /** Stops the loop for good (the core is closing); nothing is left to keep the process up. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    const { firstDelayMs, maxDelayMs, random = Math.random } = this.timing;
    // ±25 %, so many apps that lost the same store do not all come back at the same instant.
    const jitter = 0.75 + random() * 0.5;
    const delay = Math.min(maxDelayMs, firstDelayMs * 2 ** this.failures * jitter);
    this.failures += 1;
    this.timer = setTimeout(() => void this.retryNow(), delay);
    // A CLI run that is done should exit, not wait for the store to come back.
    this.timer.unref();
  }
}
