/**
 * Buying a program for this device. Each program's attempt (under way, its error, what was
 * bought) is one record, kept until the dialog that made it starts over, so the detail page
 * and its dialog can show it.
 */
import { create } from 'zustand';
import type { AppOutput } from '@shared/app-api/app-api.ts';
import { core } from '../core.ts';
import { describeError, type ShownError, type StaleError } from '../errors.ts';
import { useLibraryStore } from './library.ts';
import { patched, withoutStaleErrors } from './records.ts';

export type Purchase = AppOutput<'buy'>;

/** The last attempt to buy one program in this window; a missing field (or record) means none. */
export interface PurchaseAttempt {
  buying?: true;
  error?: ShownError;
  /** What was bought, and what it cost. */
  purchase?: Purchase;
}

interface PurchaseState {
  /** By software ID. */
  attempts: Record<string, PurchaseAttempt>;
  /** False when it did not go through (or another attempt was under way). */
  buy(softwareId: string): Promise<boolean>;
  /** Forget the last attempt's error and result, for a fresh confirmation. */
  startOver(softwareId: string): void;
  /** Drop the errors that no longer hold (the store or the app is back). */
  forgetErrors(stale: StaleError): void;
}

export const usePurchaseStore = create<PurchaseState>()((set, get) => {
  const patchAttempt = (softwareId: string, patch: PurchaseAttempt) =>
    set((state) => ({ attempts: patched(state.attempts, softwareId, patch) }));

  return {
    attempts: {},

    async buy(softwareId) {
      if (get().attempts[softwareId]?.buying) return false;
      patchAttempt(softwareId, { buying: true, error: undefined });
      try {
        // The app announces the purchase with `library-changed`, which refreshes the
        // library (stores/events.ts); refreshing here too would fetch it twice.
        const purchase = await core.buy({ softwareId });
        patchAttempt(softwareId, { purchase });
        return true;
      } catch (error) {
        const shown = describeError(error);
        patchAttempt(softwareId, { error: shown });
        // Owned already (bought on another device, say) but the library here has not heard:
        // catch up, so the store marks it owned and says where it is.
        if (shown.code === 'ALREADY_REGISTERED') void useLibraryStore.getState().refresh();
        return false;
      } finally {
        patchAttempt(softwareId, { buying: undefined });
      }
    },

    // An attempt still under way stays under way: only what the last one ended with goes.
    startOver: (softwareId) => patchAttempt(softwareId, { error: undefined, purchase: undefined }),

    forgetErrors: (stale) => set((state) => ({ attempts: withoutStaleErrors(state.attempts, stale) })),
  };
});
