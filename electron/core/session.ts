/**
 * The signed-in session: its token (kept in the SecretStore, never in plain files) and the
 * user it belongs to (in local state). Every provider call that needs the account goes
 * through `authenticated`, so a session the provider has ended signs out here too and the
 * app asks to sign in again instead of failing call after call.
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
