/**
 * The transfer wizard: software → source → destination → review → result. Opening it
 * with some choices already made ("Move to this device" in the library, "Move software…"
 * on a device card) starts at the first step still to decide.
 */
import { create } from 'zustand';
import type { TransferOutcome } from '@shared/app-api/app-api.ts';
import { core } from '../core.ts';
import { describeError, type ShownError } from '../errors.ts';
import { useDevicesStore } from './devices.ts';
import { useLibraryStore } from './library.ts';

export interface TransferChoices {
  softwareId?: string;
  sourceDeviceId?: string;
  destinationDeviceId?: string;
}

export const TRANSFER_STEPS = ['software', 'source', 'destination', 'review', 'result'] as const;
export type TransferStep = (typeof TRANSFER_STEPS)[number];

/** Which choice each deciding step makes. */
const CHOICE_OF: Partial<Record<TransferStep, keyof TransferChoices>> = {
  software: 'softwareId',
  source: 'sourceDeviceId',
  destination: 'destinationDeviceId',
};

/** The first step whose choice is still open; Review once all three are made. */
export function firstUndecidedStep(choices: TransferChoices): TransferStep {
  for (const step of ['software', 'source', 'destination'] as const) {
    if (!choices[CHOICE_OF[step]!]) return step;
  }
  return 'review';
}

export function isDecided(step: TransferStep, choices: TransferChoices): boolean {
  const choice = CHOICE_OF[step];
  return choice ? Boolean(choices[choice]) : true;
}

interface TransferState {
  open: boolean;
  step: TransferStep;
  choices: TransferChoices;
  submitting: boolean;
  outcome: TransferOutcome | null;
  error: ShownError | null;
  start(prefill?: TransferChoices): void;
  close(): void;
  /** Change some choices; the ones that depend on a changed choice are dropped. */
  choose(patch: TransferChoices): void;
  next(): void;
  back(): void;
  /** Move the copy (also "Try again" after a failure): the result step says how it went. */
  submit(): Promise<boolean>;
}

const INITIAL = {
  open: false,
  step: 'software' as TransferStep,
  choices: {} as TransferChoices,
  submitting: false,
  outcome: null,
  error: null,
};

export const useTransferStore = create<TransferState>()((set, get) => ({
  ...INITIAL,
  // What the caller already knows is not asked again: "Move to this device" knows all
  // three and opens at Review, a device card knows only the source and opens at Software.
  start: (prefill = {}) =>
    set({ ...INITIAL, open: true, choices: prefill, step: firstUndecidedStep(prefill) }),
  close: () => set(INITIAL),
  choose(patch) {
    set((state) => {
      const choices = { ...state.choices, ...patch };
      // Another program may live on another device: the source follows the software, and
      // a destination equal to the new source is no destination at all.
      if (patch.softwareId !== undefined && patch.softwareId !== state.choices.softwareId) {
        if (!('sourceDeviceId' in patch)) delete choices.sourceDeviceId;
      }
      if (choices.destinationDeviceId && choices.destinationDeviceId === choices.sourceDeviceId) {
        delete choices.destinationDeviceId;
      }
      return { choices };
    });
  },
  next() {
    const { step, choices } = get();
    const at = TRANSFER_STEPS.indexOf(step);
    if (step === 'review' || step === 'result' || !isDecided(step, choices)) return;
    set({ step: TRANSFER_STEPS[at + 1]! });
  },
  back() {
    const { step, submitting } = get();
    const at = TRANSFER_STEPS.indexOf(step);
    if (at === 0 || submitting) return;
    set({ step: TRANSFER_STEPS[at - 1]!, error: null, outcome: null });
  },
  async submit() {
    const { choices, submitting } = get();
    const { softwareId, sourceDeviceId, destinationDeviceId } = choices;
    if (submitting || !softwareId || !sourceDeviceId || !destinationDeviceId) return false;
    set({ submitting: true, error: null, outcome: null });
    try {
      const outcome = await core.transfer({ softwareId, sourceDeviceId, destinationDeviceId });
      // The core announces the move with `library-changed` too, but that reload may still be
      // on its way: waiting for our own means the result and the screens behind the wizard
      // (library, devices table) already show the copy where it now is.
      await Promise.all([useDevicesStore.getState().refresh(), useLibraryStore.getState().refresh()]);
      if (get().open) set({ outcome, step: 'result', submitting: false });
      return true;
    } catch (error) {
      if (get().open) set({ error: describeError(error), step: 'result', submitting: false });
      return false;
    }
  },
}));
