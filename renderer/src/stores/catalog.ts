/**
 * The store: what can be bought (searched and paged), and each program's detail with its
 * releases. A program's detail, its loading and its error are one record per program, so
 * they change together. Buying is stores/purchase.ts.
 */
import { create } from 'zustand';
import type { AppOutput } from '@shared/app-api/app-api.ts';
import { core } from '../core.ts';
import { describeError, type ShownError, type StaleError } from '../errors.ts';
import { patched, withoutStaleErrors } from './records.ts';

export type CatalogItem = AppOutput<'browseCatalog'>['items'][number];
export type SoftwareDetail = AppOutput<'getSoftware'>;
export type Release = SoftwareDetail['releases'][number];

/** One program's detail page as loaded so far; a missing field (or record) means not asked yet. */
export interface ProgramEntry {
  detail?: SoftwareDetail;
  loading?: true;
  /** Why the last load failed; the detail from an earlier load, if any, stays shown. */
  error?: ShownError;
}

/** One page of the grid: divisible by 2, 3 and 4, so full rows at every window width. */
export const PAGE_SIZE = 24;

interface CatalogState {
  /** What the search field asks for (trimmed); the answer may still be on its way. */
  query: string;
  items: CatalogItem[];
  /** The query `items` answers: the "Nothing matches" sentence names this one. */
  resultQuery: string;
  nextCursor: string | null;
  /** An answer (or a failure) for some query has arrived. */
  loaded: boolean;
  loading: boolean;
  error: ShownError | null;
  loadingMore: boolean;
  moreError: ShownError | null;
  /**
   * The number of the newest search (or next page). Answers come back in any order while
   * someone types, so only the newest request's answer may change the shelf: a slow answer
   * to an old query must not replace the results of the one typed after it.
   */
  requestId: number;
  /** By software ID. */
  programs: Record<string, ProgramEntry>;
  search(query?: string): Promise<void>;
  loadMore(): Promise<void>;
  loadDetail(softwareId: string): Promise<void>;
  /** Drop the errors that no longer hold (the store or the app is back). */
  forgetErrors(stale: StaleError): void;
}

// Outside the state on purpose: a reset puts `requestId` back to 0, and an answer still on
// its way from before the reset must not match the first request after it.
let lastRequestId = 0;

export const useCatalogStore = create<CatalogState>()((set, get) => ({
  query: '',
  items: [],
  resultQuery: '',
  nextCursor: null,
  loaded: false,
  loading: false,
  error: null,
  loadingMore: false,
  moreError: null,
  requestId: 0,
  programs: {},

  async search(query = get().query) {
    const q = query.trim();
    const requestId = ++lastRequestId;
    // A new search takes over from a page still on its way: that page belongs to the old
    // results, and its answer will be dropped.
    set({ query: q, loading: true, loadingMore: false, moreError: null, requestId });
    try {
      const page = await core.browseCatalog(q ? { q, limit: PAGE_SIZE } : { limit: PAGE_SIZE });
      if (get().requestId !== requestId) return; // superseded by a newer search
      set({
        items: page.items,
        resultQuery: q,
        nextCursor: page.nextCursor,
        loaded: true,
        loading: false,
        error: null,
      });
    } catch (error) {
      if (get().requestId !== requestId) return;
      // What was already shown stays: a failed search (or going offline) is no reason to
      // empty the shelves.
      set({ error: describeError(error), loaded: true, loading: false });
    }
  },

  async loadMore() {
    const { nextCursor, resultQuery, loading, loadingMore } = get();
    if (!nextCursor || loading || loadingMore) return;
    // Numbered like a search, so a search started meanwhile drops this page's answer.
    const requestId = ++lastRequestId;
    set({ loadingMore: true, moreError: null, requestId });
    try {
      const page = await core.browseCatalog({
        ...(resultQuery ? { q: resultQuery } : {}),
        cursor: nextCursor,
        limit: PAGE_SIZE,
      });
      if (get().requestId !== requestId) return;
      // The catalog can change between pages (a program published or renamed), so a page
      // may repeat one already on the shelf; showing it twice would also repeat a React key.
      set((state) => {
        const seen = new Set(state.items.map((item) => item.softwareId));
        return {
          items: [...state.items, ...page.items.filter((item) => !seen.has(item.softwareId))],
          nextCursor: page.nextCursor,
          loadingMore: false,
        };
      });
    } catch (error) {
      if (get().requestId !== requestId) return;
      set({ moreError: describeError(error), loadingMore: false });
    }
  },

  async loadDetail(softwareId) {
    if (get().programs[softwareId]?.loading) return;
    const patchProgram = (patch: ProgramEntry) =>
      set((state) => ({ programs: patched(state.programs, softwareId, patch) }));
    patchProgram({ loading: true, error: undefined });
    try {
      patchProgram({ detail: await core.getSoftware({ softwareId }), loading: undefined });
    } catch (error) {
      patchProgram({ error: describeError(error), loading: undefined });
    }
  },

  forgetErrors(stale) {
    const unlessStale = (error: ShownError | null) => (error && stale(error) ? null : error);
    set((state) => ({
      error: unlessStale(state.error),
      moreError: unlessStale(state.moreError),
      programs: withoutStaleErrors(state.programs, stale),
    }));
  },
}));
