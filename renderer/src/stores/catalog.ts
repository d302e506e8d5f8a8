/** The store: what can be bought, and buying it for this device. */
import { create } from 'zustand';
import type { ClientOutput } from '../../../shared/client-api.ts';
import { client } from '../client.ts';
import { describeError, type ShownError } from '../errors.ts';

export type CatalogItem = ClientOutput<'browseCatalog'>['items'][number];

interface CatalogState {
  items: CatalogItem[];
  query: string;
  loaded: boolean;
  error: ShownError | null;
  buying: Record<string, boolean>;
  buyErrors: Record<string, ShownError>;
  search(query?: string): Promise<void>;
  buy(softwareId: string): Promise<boolean>;
}

export const useCatalogStore = create<CatalogState>()((set, get) => ({
  items: [],
  query: '',
  loaded: false,
  error: null,
  buying: {},
  buyErrors: {},
  async search(query = get().query) {
    set({ query });
    try {
      const page = await client.browseCatalog(query.trim() ? { q: query.trim() } : {});
      // A slower answer to an older query must not overwrite a newer one.
      if (get().query === query) set({ items: page.items, loaded: true, error: null });
    } catch (error) {
      set({ error: describeError(error), loaded: true });
    }
  },
  async buy(softwareId) {
    if (get().buying[softwareId]) return false;
    set((state) => {
      const buyErrors = { ...state.buyErrors };
      delete buyErrors[softwareId];
      return { buying: { ...state.buying, [softwareId]: true }, buyErrors };
    });
    try {
      // The app announces the purchase with `library-changed`, which refreshes the
      // library (stores/events.ts); refreshing here too would fetch it twice.
      await client.buy({ softwareId });
      return true;
    } catch (error) {
      set((state) => ({ buyErrors: { ...state.buyErrors, [softwareId]: describeError(error) } }));
      return false;
    } finally {
      set((state) => ({ buying: { ...state.buying, [softwareId]: false } }));
    }
  },
}));
