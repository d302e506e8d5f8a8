/**
 * The session: who is signed in, this device and whether it is enrolled, the provider,
 * where keys are kept. Also the problem that stops the app altogether (the core could
 * not start, or the shell is gone), which the window shows instead of the screens.
 */
import { create } from 'zustand';
import type { AppStatus } from '@shared/app-api/app-api.ts';
import { core } from '../core.ts';
import { describeError, type ShownError } from '../errors.ts';

export type SessionAction = 'signIn' | 'createAccount' | 'signOut' | 'enrol' | 'refresh';

interface SessionState {
  status: AppStatus | null;
  /** Set when getStatus itself fails: nothing else can work then. */
  problem: ShownError | null;
  /** The last failed action (sign-in, enrol …), shown next to the form that caused it. */
  actionError: ShownError | null;
  pending: SessionAction | null;
  setStatus(status: AppStatus): void;
  refresh(): Promise<void>;
  signIn(email: string, password: string): Promise<boolean>;
  createAccount(input: { email: string; password: string; displayName: string }): Promise<boolean>;
  signOut(): Promise<void>;
  enrol(name: string): Promise<boolean>;
  /** Ask the provider again (after being offline); the answer updates `status.online`. */
  reconnect(): Promise<void>;
  clearActionError(): void;
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
    setStatus: (status) => set({ status, problem: null }),
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
    clearActionError: () => set({ actionError: null }),
  };
});
