import { useEffect, useRef, useState } from 'react';
import { formatBytes, formatPrice } from '@shared/format.ts';
import { formatDate } from '../../format.ts';
import { useCatalogStore, type CatalogItem, type Release } from '../../stores/catalog.ts';
import { useNavigationStore } from '../../stores/navigation.ts';
import { usePurchaseStore } from '../../stores/purchase.ts';
import { useSessionStore } from '../../stores/session.ts';
import { CoverArt } from '../../ui/CoverArt.tsx';
import { Badge, ErrorNotice, Loading, Skeleton } from '../../ui/Notices.tsx';
import { BuyDialog } from './BuyDialog.tsx';
import { registeredTo, useOwnedCopy } from './owned.ts';

/** The most recently published release. */
function latestRelease(releases: Release[]): Release | undefined {
  return releases.reduce<Release | undefined>(
    (latest, release) => (!latest || release.publishedAt > latest.publishedAt ? release : latest),
    undefined,
  );
}

/** The Buy button's text, which is also its accessible name: "Buy — $4.99" or "Get — Free". */
function buyLabel(item: CatalogItem): string {
  return item.priceCents === 0 ? 'Get — Free' : `Buy — ${formatPrice(item.priceCents, item.currency)}`;
}

/** One program: what it is, its releases, and buying it for this device. */
export function SoftwareDetailPage({ softwareId }: { softwareId: string }) {
  const listed = useCatalogStore((s) => s.items.find((item) => item.softwareId === softwareId));
  const detail = useCatalogStore((s) => s.programs[softwareId]?.detail);
  const error = useCatalogStore((s) => s.programs[softwareId]?.error);
  const loading = useCatalogStore((s) => s.programs[softwareId]?.loading === true);
  // The shelf's listing shows the page at once; the detail, with its releases, takes over
  // when it arrives. Opened from elsewhere (not on the shelf), the page waits for the detail.
  const item = detail ?? listed;
  const title = useRef<HTMLHeadingElement>(null);
  const titleFocused = useRef(false);
  const [dialogOpen, setDialogOpen] = useState(false);
  const retry = () => void useCatalogStore.getState().loadDetail(softwareId);

  useEffect(() => {
    void useCatalogStore.getState().loadDetail(softwareId);
  }, [softwareId]);

  // The card that opened this page is gone, so focus moves to the title (once, as soon as
  // there is one): screen readers announce the new page and Tab starts from its top.
  useEffect(() => {
    if (item && !titleFocused.current && title.current) {
      titleFocused.current = true;
      title.current.focus();
    }
  }, [item]);

  if (!item) {
    return (
      <article className="software-detail" data-testid="software-detail" aria-busy={loading}>
        <BackToStore />
        {error ? (
          <ErrorNotice error={error} onRetry={retry} retrying={loading} testId="detail-error" />
        ) : (
          <Skeleton rows={4} label="Loading this program…" />
        )}
      </article>
    );
  }

  const latest = detail ? latestRelease(detail.releases) : undefined;
  return (
    <article className="software-detail" data-testid="software-detail" aria-labelledby="detail-title">
      <BackToStore />
      <header className="page-header detail-header">
        <h1 id="detail-title" ref={title} tabIndex={-1}>
          {item.name}
        </h1>
      </header>
      <div className="detail-layout">
        <div className="detail-main">
          <CoverArt softwareId={item.softwareId} name={item.name} size="large" />
          <section className="detail-section" aria-labelledby="detail-about">
            <h2 id="detail-about">About this program</h2>
            <p className="detail-summary">{item.summary || 'The publisher has not described it yet.'}</p>
          </section>
          <section className="detail-section" aria-labelledby="detail-releases">
            <h2 id="detail-releases">Releases</h2>
            {detail ? (
              <ReleaseList releases={detail.releases} />
            ) : error ? (
              <ErrorNotice error={error} onRetry={retry} retrying={loading} testId="detail-error" />
            ) : (
              <Loading label="Loading its releases…" />
            )}
          </section>
        </div>
        <aside className="detail-side" aria-label="Buy">
          <PurchaseBox item={item} onBuy={() => setDialogOpen(true)} />
          <dl className="facts detail-facts" data-testid="detail-facts">
            <dt>Version</dt>
            <dd data-testid="detail-version">{latest?.version ?? item.version}</dd>
            <dt>Released</dt>
            <dd>{latest ? formatDate(latest.publishedAt) : error ? '–' : '…'}</dd>
            <dt>Download size</dt>
            <dd data-testid="detail-size">{formatBytes(latest?.sizeBytes ?? item.sizeBytes)}</dd>
            <dt>Price</dt>
            <dd data-testid="detail-price">{formatPrice(item.priceCents, item.currency)}</dd>
          </dl>
        </aside>
      </div>
      {dialogOpen ? <BuyDialog item={item} onClose={() => setDialogOpen(false)} /> : null}
    </article>
  );
}

function BackToStore() {
  return (
    <div className="detail-back">
      <button
        type="button"
        className="quiet small"
        onClick={() => useNavigationStore.getState().closeSoftware()}
      >
        <span aria-hidden="true">←</span> Back to store
      </button>
    </div>
  );
}

function ReleaseList({ releases }: { releases: Release[] }) {
  if (releases.length === 0) return <p className="muted">No releases yet.</p>;
  const latest = latestRelease(releases);
  const newestFirst = [...releases].sort((a, b) => b.publishedAt.localeCompare(a.publishedAt));
  return (
    <ul className="release-list" data-testid="release-list">
      {newestFirst.map((release) => (
        <li key={`${release.version}-${release.sha256}`}>
          <strong>Version {release.version}</strong>
          {release === latest ? <Badge tone="accent">Latest</Badge> : null}
          <span className="muted">
            {formatDate(release.publishedAt)} · {formatBytes(release.sizeBytes)}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** Price and Buy, or where the copy the user owns is registered. */
function PurchaseBox({ item, onBuy }: { item: CatalogItem; onBuy(): void }) {
  const owned = useOwnedCopy(item.softwareId);
  const device = useSessionStore((s) => s.status?.device);
  const online = useSessionStore((s) => s.status?.online ?? true);
  const free = item.priceCents === 0;
  const startBuying = () => {
    // A fresh confirmation, not the last attempt's error or "is yours".
    usePurchaseStore.getState().startOver(item.softwareId);
    onBuy();
  };

  return (
    <div className="purchase-box" data-testid="purchase-box">
      {owned ? (
        <>
          <div className="purchase-owned">
            <Badge tone="ok">Owned</Badge>
            <p data-testid="detail-registered">{registeredTo(owned, device?.deviceId)}</p>
          </div>
          <button
            type="button"
            className="primary large"
            onClick={() => useNavigationStore.getState().go('library')}
          >
            Go to library
          </button>
        </>
      ) : (
        <>
          <span className={`purchase-price${free ? ' store-price-free' : ''}`}>
            {formatPrice(item.priceCents, item.currency)}
          </span>
          <button type="button" className="primary large" onClick={startBuying} data-testid="buy-button">
            {buyLabel(item)}
          </button>
          <p className="muted purchase-note">
            {free ? 'Free to keep. ' : 'Pay once. '}
            Registered to {device?.name ?? 'this device'}; move it to your other devices at no charge.
          </p>
          {online ? null : (
            <p className="purchase-offline" data-testid="purchase-offline">
              You are offline. Buying needs the store, so it may not go through until you are back.
            </p>
          )}
        </>
      )}
    </div>
  );
}
