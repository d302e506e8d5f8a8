/**
 * The offer to recover a changed machine (DESIGN §2): after enrolling, the provider may
 * say this device looks like an older one of the account (most of its hardware matches).
 * The window offers once to move that device's programs here; the person can decline.
 */
import { create } from 'zustand';
import type { RecoveryOutcome } from '@shared/app-api/app-api.ts';
import { core } from '../core.ts';
import { describeError, type ShownError } from '../errors.ts';
import { useSessionStore } from './session.ts';

interface RecoveryState {
  /** The offer was declined, or its result was read: the app goes on to the library. */
  closed: boolean;
  pending: boolean;
  error: ShownError | null;
  outcome: RecoveryOutcome | null;
  recover(fromDeviceId: string): Promise<void>;
  close(): void;
}

export const useRecoveryStore = create<RecoveryState>()((set, get) => ({
  closed: false,
  pending: false,
  error: null,
  outcome: null,
  async recover(fromDeviceId) {
    if (get().pending) return;
    set({ pending: true, error: null });
    try {
      const outcome = await core.recoverDevice({ fromDeviceId });
      set({ outcome, pending: false });
      // The core has synced the arrivals and dropped the offer; the status says so.
      await useSessionStore.getState().refresh();
    } catch (error) {
      set({ error: describeError(error), pending: false });
    }
  },
  close: () => set({ closed: true }),
}));
