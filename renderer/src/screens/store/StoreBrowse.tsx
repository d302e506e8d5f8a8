import { useCatalogStore } from '../../stores/catalog.ts';
import { EmptyState, ErrorNotice } from '../../ui/Notices.tsx';
import { StoreCard, StoreCardSkeletons } from './StoreCard.tsx';

/** The shelf: search, the grid of programs, and more pages. */
export function StoreBrowse({
  input,
  onInput,
  onClearSearch,
}: {
  input: string;
  onInput(value: string): void;
  onClearSearch(): void;
}) {
  return (
    <>
      <header className="page-header store-header">
        <div>
          <h1>Store</h1>
          <p>Buy once, registered to this device; move it to another of your devices whenever you like.</p>
        </div>
        <form
          className="store-search"
          role="search"
          onSubmit={(event) => {
            event.preventDefault();
            // Enter searches at once rather than after the typing pause.
            void useCatalogStore.getState().search(input);
          }}
        >
          <span className="store-search-icon" aria-hidden="true" />
          <input
            type="search"
            aria-label="Search the store"
            placeholder="Search the store"
            value={input}
            maxLength={100}
            onChange={(event) => onInput(event.target.value)}
            data-testid="store-search"
          />
        </form>
      </header>
      <StoreResults onClearSearch={onClearSearch} />
    </>
  );
}

function StoreResults({ onClearSearch }: { onClearSearch(): void }) {
  const items = useCatalogStore((s) => s.items);
  const loaded = useCatalogStore((s) => s.loaded);
  const loading = useCatalogStore((s) => s.loading);
  const error = useCatalogStore((s) => s.error);
  const resultQuery = useCatalogStore((s) => s.resultQuery);
  const retry = () => void useCatalogStore.getState().search();

  if (!loaded) return <StoreCardSkeletons />;
  const notice = error ? (
    <ErrorNotice error={error} onRetry={retry} retrying={loading} testId="store-error" />
  ) : null;
  // With nothing on the shelf the failure is all there is to say; otherwise it goes above
  // the programs already shown, which stay (the store keeps them when a search fails).
  if (notice && items.length === 0) return notice;

  return (
    <section className="store-results" aria-labelledby="store-results-title" aria-busy={loading}>
      <div className="store-results-head">
        <h2 id="store-results-title">{resultQuery ? `Results for "${resultQuery}"` : 'All programs'}</h2>
        <ResultCount />
      </div>
      {notice}
      {items.length === 0 ? (
        <NoPrograms query={resultQuery} onClearSearch={onClearSearch} />
      ) : (
        // The previous results stay while a new search runs, marked as stale.
        <ul className={`store-grid${loading ? ' store-grid-stale' : ''}`} data-testid="store-grid">
          {items.map((item) => (
            <StoreCard key={item.softwareId} item={item} />
          ))}
        </ul>
      )}
      <ShowMore />
    </section>
  );
}

/** An empty answer: nothing matches the search, or nothing is published at all. */
function NoPrograms({ query, onClearSearch }: { query: string; onClearSearch(): void }) {
  if (!query) {
    return (
      <EmptyState title="The store is empty" testId="store-empty">
        Nothing has been published yet. When a publisher releases a program, it appears here.
      </EmptyState>
    );
  }
  return (
    <EmptyState
      title={`Nothing matches "${query}"`}
      testId="store-no-results"
      action={
        <button type="button" onClick={onClearSearch}>
          Clear search
        </button>
      }
    >
      Try another word, or a part of a name. Search looks at names and descriptions.
    </EmptyState>
  );
}

/** How many programs are shown ("24+" while there are more pages), or that a search runs. */
function ResultCount() {
  const count = useCatalogStore((s) => s.items.length);
  const more = useCatalogStore((s) => s.nextCursor !== null);
  const loading = useCatalogStore((s) => s.loading);
  return (
    <span className="store-count muted" role="status" aria-live="polite" data-testid="store-count">
      {loading ? (
        <>
          <span className="spinner store-count-spinner" aria-hidden="true" />
          Searching…
        </>
      ) : (
        `${count}${more ? '+' : ''} program${count === 1 && !more ? '' : 's'}`
      )}
    </span>
  );
}

/** The next page, or why it could not be loaded (with a retry in place of the button). */
function ShowMore() {
  const more = useCatalogStore((s) => s.nextCursor !== null);
  const loadingMore = useCatalogStore((s) => s.loadingMore);
  const error = useCatalogStore((s) => s.moreError);
  const loadMore = () => void useCatalogStore.getState().loadMore();
  if (!more) return null;
  return (
    <div className="store-more">
      {error ? (
        <ErrorNotice error={error} onRetry={loadMore} retrying={loadingMore} />
      ) : (
        <button type="button" onClick={loadMore} disabled={loadingMore}>
          {loadingMore ? 'Loading more…' : 'Show more'}
        </button>
      )}
    </div>
  );
}
