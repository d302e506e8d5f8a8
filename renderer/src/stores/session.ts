/**
 * The session: who is signed in, this device and whether it is enrolled, the provider,
 * where keys are kept. Also the problem that stops the app altogether (the core could
 * not start, or the shell is gone), which the window shows instead of the screens, and
 * whether the local app answers this window at all.
 */
import { create } from 'zustand';
import type { AppStatus } from '@shared/app-api/app-api.ts';
import { core } from '../core.ts';
import { describeError, type ShownError, type StaleError } from '../errors.ts';

/** The window's own reasons to ask again (focus, the OS's online event) count at most this often. */
export const AUTO_RETRY_GAP_MS = 3000;

export type SessionAction = 'signIn' | 'createAccount' | 'signOut' | 'enrol' | 'refresh';

interface SessionState {
  status: AppStatus | null;
  /** Set when getStatus itself fails: nothing else can work then. */
  problem: ShownError | null;
  /** The last failed action (sign-in, enrol …), shown next to the form that caused it. */
  actionError: ShownError | null;
  pending: SessionAction | null;
  /**
   * False while the local app does not answer this window (its process stopped): then
   * `status` is only what it last said, and nothing on screen may claim more.
   */
  answering: boolean;
  /** When the window last asked again on its own (ms since the epoch). */
  lastAutoRetryAt: number;
  setStatus(status: AppStatus): void;
  setAnswering(answering: boolean): void;
  refresh(): Promise<void>;
  signIn(email: string, password: string): Promise<boolean>;
  createAccount(input: { email: string; password: string; displayName: string }): Promise<boolean>;
  signOut(): Promise<void>;
  enrol(name: string): Promise<boolean>;
  /** Ask the provider again (after being offline); the answer updates `status.online`. */
  reconnect(): Promise<void>;
  /**
   * The window regained focus or the OS says the network is back: if the store or the app
   * was out of reach, ask again now, quietly (no button turns busy) and not too often.
   */
  retrySoon(): Promise<void>;
  clearActionError(): void;
  /** Drop the action error if it no longer holds (the store or the app is back). */
  forgetErrors(stale: StaleError): void;
}

export const useSessionStore = create<SessionState>()((set, get) => {
  const act = async (action: SessionAction, call: () => Promise<AppStatus>): Promise<boolean> => {
    if (get().pending) return false;
    set({ pending: action, actionError: null });
    try {
      set({ status: await call(), problem: null, pending: null });
      return true;
    } catch (error) {
      set({ actionError: describeError(error), pending: null });
      return false;
    }
  };

  return {
    status: null,
    problem: null,
    actionError: null,
    pending: null,
    answering: true,
    lastAutoRetryAt: 0,
    setStatus: (status) => set({ status, problem: null }),
    setAnswering(answering) {
      if (answering === get().answering) return;
      set({ answering });
      // Whatever it last said may have changed meanwhile (or it is a new run of the app).
      if (answering) void get().refresh();
    },
    async refresh() {
      set({ pending: 'refresh' });
      try {
        set({ status: await core.getStatus(), problem: null, pending: null });
      } catch (error) {
        set({ problem: describeError(error), pending: null });
      }
    },
    signIn: (email, password) => act('signIn', () => core.signIn({ email, password })),
    createAccount: (input) => act('createAccount', () => core.createAccount(input)),
    async signOut() {
      await act('signOut', () => core.signOut());
    },
    enrol: (name) => act('enrol', () => core.enrolDevice({ name })),
    async reconnect() {
      if (get().pending) return;
      set({ pending: 'refresh' });
      // Any call that reaches the provider tells the app it is back; sync also catches up
      // on what changed meanwhile. A failure here is the offline state we already show.
      await (get().status?.user ? core.sync() : core.browseCatalog({ limit: 1 })).catch(() => undefined);
      set({ pending: null });
      await get().refresh();
    },
    async retrySoon() {
      const { status, answering, pending, lastAutoRetryAt } = get();
      const outOfReach = !answering || status?.online === false;
      if (!outOfReach || pending || Date.now() - lastAutoRetryAt < AUTO_RETRY_GAP_MS) return;
      set({ lastAutoRetryAt: Date.now() });
      // Asked while offline, the core probes the store at once; if the store answers, the
      // news arrives as `status-changed`. Asking reaches the app, so it also tells the
      // bridge whether the app answers again.
      await core.getStatus().then(
        (fresh) => set({ status: fresh, problem: null }),
        () => undefined, // still out of reach: what is on screen says so already
      );
    },
    clearActionError: () => set({ actionError: null }),
    forgetErrors(stale) {
      const { actionError } = get();
      if (actionError && stale(actionError)) set({ actionError: null });
    },
  };
});
