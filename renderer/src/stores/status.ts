/**
 * App status: who is signed in, this device, the provider, where keys are kept. Also the
 * problem that stops the app altogether (the core could not start, or the shell is
 * gone), which the window shows instead of the screens.
 */
import { create } from 'zustand';
import type { AppStatus } from '../../../shared/client-api.ts';
import { client } from '../client.ts';
import { describeError, type ShownError } from '../errors.ts';

type StatusAction = 'signIn' | 'signOut' | 'enrol' | 'refresh';

interface StatusState {
  status: AppStatus | null;
  /** Set when getStatus itself fails: nothing else can work then. */
  problem: ShownError | null;
  /** The last failed action (sign-in, enrol …), shown next to the form that caused it. */
  actionError: ShownError | null;
  pending: StatusAction | null;
  setStatus(status: AppStatus): void;
  refresh(): Promise<void>;
  signIn(email: string, password: string): Promise<boolean>;
  signOut(): Promise<void>;
  enrol(name?: string): Promise<void>;
}

export const useStatusStore = create<StatusState>()((set, get) => {
  const act = async (action: StatusAction, call: () => Promise<AppStatus>): Promise<boolean> => {
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
        set({ status: await client.getStatus(), problem: null, pending: null });
      } catch (error) {
        set({ problem: describeError(error), pending: null });
      }
    },
    signIn: (email, password) => act('signIn', () => client.signIn({ email, password })),
    async signOut() {
      await act('signOut', () => client.signOut());
    },
    async enrol(name) {
      await act('enrol', () => client.enrolDevice(name ? { name } : {}));
    },
  };
});
