import { formatBytes, formatPrice } from '@shared/format.ts';
import type { CatalogItem } from '../../stores/catalog.ts';
import { useNavigationStore } from '../../stores/navigation.ts';
import { Badge } from '../../ui/Notices.tsx';
import { CoverArt } from '../../ui/CoverArt.tsx';
import { useOwnedCopy } from './owned.ts';

/**
 * One program on the shelf. The whole card opens the detail page, through a button named
 * after the program (its hit area is stretched over the card in CSS), so screen readers
 * hear a short name rather than the card's every word.
 */
export function StoreCard({ item }: { item: CatalogItem }) {
  const owned = useOwnedCopy(item.softwareId) !== undefined;
  const open = () => useNavigationStore.getState().showSoftware(item.softwareId);
  const free = item.priceCents === 0;

  return (
    <li className="store-card" data-testid={`store-item-${item.softwareId}`}>
      <CoverArt softwareId={item.softwareId} name={item.name} />
      <div className="store-card-body">
        <h3 className="store-card-title">
          <button type="button" className="store-card-open" onClick={open}>
            {item.name}
          </button>
        </h3>
        <p className="store-card-summary">{item.summary}</p>
        <div className="store-card-foot">
          <span className={`store-price${free ? ' store-price-free' : ''}`} data-testid="store-item-price">
            {formatPrice(item.priceCents, item.currency)}
          </span>
          <span className="store-card-meta">
            {owned ? (
              <Badge tone="ok">Owned</Badge>
            ) : (
              <span className="muted">
                v{item.version} · {formatBytes(item.sizeBytes)}
              </span>
            )}
          </span>
        </div>
      </div>
    </li>
  );
}

/** Card-shaped placeholders while the first page is on its way. */
export function StoreCardSkeletons({ count = 8 }: { count?: number }) {
  return (
    <div className="store-skeleton" role="status" aria-live="polite" data-testid="store-skeleton">
      <span className="visually-hidden">Loading the store…</span>
      <ul className="store-grid" aria-hidden="true">
        {Array.from({ length: count }, (_, i) => (
          <li key={i} className="store-card store-card-placeholder">
            <div className="skeleton-row store-skeleton-cover" />
            <div className="store-card-body">
              <div className="skeleton-row store-skeleton-line" />
              <div className="skeleton-row store-skeleton-line store-skeleton-short" />
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
