import { useEffect, useRef, useState } from 'react';
import { useCatalogStore } from '../../stores/catalog.ts';
import { useLibraryStore } from '../../stores/library.ts';
import { useNavigationStore } from '../../stores/navigation.ts';
import { SoftwareDetailPage } from './SoftwareDetailPage.tsx';
import { StoreBrowse } from './StoreBrowse.tsx';
import './store.css';

/** How long typing may pause before the store is asked: one request per word, not per key. */
export const SEARCH_DEBOUNCE_MS = 250;

/**
 * The store: a searchable grid of what can be bought, and a detail page per program with
 * buying for this device. The search text lives here, so it survives a visit to a detail
 * page, and coming back puts focus on the card that was opened.
 */
export function StoreScreen() {
  const softwareId = useNavigationStore((s) => s.softwareId);
  const [input, setInput] = useState(() => useCatalogStore.getState().query);
  const lastOpened = useRef<string | null>(null);

  useEffect(() => {
    // The catalog changes while the app is open; each visit shows the current one (what
    // is already on screen stays while the answer comes).
    void useCatalogStore.getState().search();
    // "Owned" badges need the library, even if the library screen was never opened.
    const library = useLibraryStore.getState();
    if (!library.loaded) void library.refresh();
  }, []);

  useEffect(() => {
    // Nothing new to ask: the field was filled from the store, or Clear search asked already.
    if (input.trim() === useCatalogStore.getState().query) return;
    const timer = setTimeout(() => {
      // Enter may have searched for this already during the pause.
      if (input.trim() !== useCatalogStore.getState().query) void useCatalogStore.getState().search(input);
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [input]);

  // The grid is unmounted while a detail page shows, so the card that opened it is gone and
  // focus would drop to the page body on the way back. Put it back on that card, so keyboard
  // and screen-reader users carry on where they were.
  useEffect(() => {
    if (softwareId) {
      lastOpened.current = softwareId;
      return;
    }
    const opened = lastOpened.current;
    lastOpened.current = null;
    // Software IDs are slugs, safe inside the selector as they are.
    if (opened)
      document.querySelector<HTMLElement>(`[data-testid="store-item-${opened}"] .store-card-open`)?.focus();
  }, [softwareId]);

  // Straight away, not after the typing pause: the button is a deliberate request.
  const clearSearch = () => {
    setInput('');
    void useCatalogStore.getState().search('');
  };

  return (
    <div className="store-screen" data-testid="store-screen">
      {softwareId ? (
        <SoftwareDetailPage key={softwareId} softwareId={softwareId} />
      ) : (
        <StoreBrowse input={input} onInput={setInput} onClearSearch={clearSearch} />
      )}
    </div>
  );
}
