/**
 * The transfer wizard: software → source → destination → review → result. Opening it
 * with some choices already made (from "Move to this device") starts at the first step
 * still to decide.
 */
import { create } from 'zustand';

export interface TransferChoices {
  softwareId?: string;
  sourceDeviceId?: string;
  destinationDeviceId?: string;
}

interface TransferState {
  open: boolean;
  choices: TransferChoices;
  start(prefill?: TransferChoices): void;
  close(): void;
}

export const useTransferStore = create<TransferState>()((set) => ({
  open: false,
  choices: {},
  start: (prefill = {}) => set({ open: true, choices: prefill }),
  close: () => set({ open: false, choices: {} }),
}));
