/** Which screen is showing. Three top-level views; the store also has a detail page. */
import { create } from 'zustand';

export type View = 'store' | 'library' | 'devices';

interface NavigationState {
  view: View;
  /** The store's detail page, when one is open. */
  softwareId: string | null;
  go(view: View): void;
  showSoftware(softwareId: string): void;
  closeSoftware(): void;
}

export const useNavigationStore = create<NavigationState>()((set) => ({
  view: 'library',
  softwareId: null,
  go: (view) => set({ view, softwareId: null }),
  showSoftware: (softwareId) => set({ view: 'store', softwareId }),
  closeSoftware: () => set({ softwareId: null }),
}));
