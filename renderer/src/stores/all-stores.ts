/** Every store, so tests (and signing out) can put them all back to their first state. */
import type { StoreApi } from 'zustand';
import { useCatalogStore } from './catalog.ts';
import { useDevicesStore } from './devices.ts';
import { useLibraryStore } from './library.ts';
import { useNavigationStore } from './navigation.ts';
import { usePurchaseStore } from './purchase.ts';
import { useRecoveryStore } from './recovery.ts';
import { useSessionStore } from './session.ts';
import { useTransferStore } from './transfer.ts';

export const ALL_STORES = [
  useSessionStore,
  useNavigationStore,
  useCatalogStore,
  usePurchaseStore,
  useLibraryStore,
  useDevicesStore,
  useTransferStore,
  useRecoveryStore,
] as const;

/** Back to the state each store was created with. */
export function resetStores(except: ReadonlyArray<(typeof ALL_STORES)[number]> = []): void {
  for (const store of ALL_STORES) {
    // Each store gets its own initial state back; the union of their types cannot say so.
    const api = store as unknown as StoreApi<unknown>;
    if (!except.includes(store)) api.setState(api.getInitialState(), true);
  }
}
