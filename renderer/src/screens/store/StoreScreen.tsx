import { useState, type FormEvent } from 'react';
import { formatBytes, formatPrice } from '../../../../shared/format.ts';
import { useCatalogStore, type CatalogItem } from '../../stores/catalog.ts';
import { useLibraryStore } from '../../stores/library.ts';

function CatalogRow({ item, canBuy, owned }: { item: CatalogItem; canBuy: boolean; owned: boolean }) {
  const buying = useCatalogStore((s) => s.buying[item.softwareId] === true);
  const error = useCatalogStore((s) => s.buyErrors[item.softwareId]);
  const buy = useCatalogStore((s) => s.buy);
  return (
    <li className="row" data-testid={`catalog-${item.softwareId}`}>
      <div className="row-main">
        <div className="row-title">
          <strong>{item.name}</strong>
          <span className="muted">
            v{item.version} · {formatBytes(item.sizeBytes)}
          </span>
        </div>
        <p className="summary">{item.summary}</p>
        {error ? (
          <p className="error" role="alert">
            {error.message}
          </p>
        ) : null}
      </div>
      <div className="row-actions">
        <span className="price">{formatPrice(item.priceCents, item.currency)}</span>
        {owned ? (
          <span className="badge badge-ok">Owned</span>
        ) : (
          <button
            type="button"
            className="primary"
            disabled={!canBuy || buying}
            title={canBuy ? undefined : 'Sign in and enrol this device to buy'}
            onClick={() => void buy(item.softwareId)}
          >
            {buying ? 'Buying…' : 'Buy'}
          </button>
        )}
      </div>
    </li>
  );
}

export function StoreScreen() {
  const items = useCatalogStore((s) => s.items);
  const loaded = useCatalogStore((s) => s.loaded);
  const error = useCatalogStore((s) => s.error);
  const search = useCatalogStore((s) => s.search);
  const library = useLibraryStore((s) => s.items);
  const [query, setQuery] = useState('');
  const owned = new Set(library.map((item) => item.softwareId));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void search(query);
  };

  return (
    <section className="card" aria-labelledby="store-title" data-testid="store">
      <div className="card-head">
        <h2 id="store-title">Store</h2>
        <form className="search" role="search" onSubmit={submit}>
          <input
            type="search"
            placeholder="Search programs"
            aria-label="Search programs"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
          />
        </form>
      </div>

      {error ? (
        <p className="error" role="alert">
          {error.message}
        </p>
      ) : null}
      {!loaded ? <p className="muted">Loading…</p> : null}
      {loaded && !error && items.length === 0 ? <p className="muted">No programs match.</p> : null}
      <ul className="rows">
        {items.map((item) => (
          <CatalogRow key={item.softwareId} item={item} canBuy owned={owned.has(item.softwareId)} />
        ))}
      </ul>
    </section>
  );
}
