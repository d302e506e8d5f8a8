import type { ThisDevice } from '@shared/app-api/app-api.ts';
import { formatPrice } from '@shared/format.ts';
import type { CatalogItem } from '../../stores/catalog.ts';
import { useNavigationStore } from '../../stores/navigation.ts';
import { usePurchaseStore, type Purchase } from '../../stores/purchase.ts';
import { useSessionStore } from '../../stores/session.ts';
import { CoverArt } from '../../ui/CoverArt.tsx';
import { Dialog } from '../../ui/Dialog.tsx';
import { ErrorNotice } from '../../ui/Notices.tsx';

/**
 * Buying one program for this device: confirm, then what was bought and where it went.
 * The purchase lives in the purchase store, so the dialog turns into the success view as soon
 * as the store has it.
 */
export function BuyDialog({ item, onClose }: { item: CatalogItem; onClose(): void }) {
  const purchase = usePurchaseStore((s) => s.attempts[item.softwareId]?.purchase);
  const device = useSessionStore((s) => s.status?.device);
  return purchase ? (
    <PurchaseDone item={item} purchase={purchase} device={device} onClose={onClose} />
  ) : (
    <ConfirmPurchase item={item} device={device} onClose={onClose} />
  );
}

function ConfirmPurchase({
  item,
  device,
  onClose,
}: {
  item: CatalogItem;
  device: ThisDevice | undefined;
  onClose(): void;
}) {
  const buying = usePurchaseStore((s) => s.attempts[item.softwareId]?.buying === true);
  const error = usePurchaseStore((s) => s.attempts[item.softwareId]?.error);
  const online = useSessionStore((s) => s.status?.online ?? true);
  const free = item.priceCents === 0;
  const price = formatPrice(item.priceCents, item.currency);

  return (
    <Dialog
      title={`${free ? 'Get' : 'Buy'} ${item.name}?`}
      description={
        free ? 'It is free: nothing will be charged.' : `You will be charged ${price}, once, for this copy.`
      }
      onClose={onClose}
      testId="buy-dialog"
      footer={
        <>
          <button type="button" className="quiet" onClick={onClose}>
            Cancel
          </button>
          {/* Also the retry after a failure. If the failed attempt did go through after all,
              the store answers that the copy is owned already: nothing is charged twice. */}
          <button
            type="button"
            className="primary"
            onClick={() => void usePurchaseStore.getState().buy(item.softwareId)}
            disabled={buying}
            data-autofocus
          >
            {buying ? 'Buying…' : free ? 'Confirm — get it free' : 'Confirm purchase'}
          </button>
        </>
      }
    >
      <div className="buy-line">
        <CoverArt softwareId={item.softwareId} name={item.name} size="small" />
        <span className="buy-line-name">
          <strong>{item.name}</strong>
          <span className="muted">Version {item.version}</span>
        </span>
        <strong className={`buy-line-price${free ? ' store-price-free' : ''}`} data-testid="buy-price">
          {price}
        </strong>
      </div>
      <div className="buy-device" data-testid="buy-device">
        <span className="eyebrow">Registered to this device</span>
        <p>
          <strong data-testid="buy-device-name">{device?.name ?? 'This device'}</strong>
          {/* The short ID tells apart two devices that were given the same name. */}
          {device ? (
            <>
              {' '}
              <span className="muted">(ID</span> <code>{device.shortId}</code>
              <span className="muted">)</span>
            </>
          ) : null}
        </p>
        <p className="muted">
          Your copy will be registered to this device. You can move it to another of your devices later, with
          no second charge.
        </p>
      </div>
      {online ? null : (
        <p className="purchase-offline">
          You are offline. The purchase needs the store; if it cannot be reached, nothing is charged.
        </p>
      )}
      {error ? <ErrorNotice error={error} testId="buy-error" /> : null}
      {/* The button's "Buying…" is not announced by itself. */}
      {buying ? (
        <p className="visually-hidden" role="status">
          Buying {item.name}…
        </p>
      ) : null}
    </Dialog>
  );
}

function PurchaseDone({
  item,
  purchase,
  device,
  onClose,
}: {
  item: CatalogItem;
  purchase: Purchase;
  device: ThisDevice | undefined;
  onClose(): void;
}) {
  const deviceName = device?.name ?? 'this device';
  return (
    <Dialog
      title={`${item.name} is yours`}
      onClose={onClose}
      testId="buy-dialog"
      footer={
        <>
          <button
            type="button"
            onClick={() => {
              onClose();
              useNavigationStore.getState().closeSoftware();
            }}
          >
            Keep browsing
          </button>
          <button
            type="button"
            className="primary"
            onClick={() => useNavigationStore.getState().go('library')}
            data-autofocus
          >
            Go to library
          </button>
        </>
      }
    >
      <div className="buy-success" role="status" data-testid="buy-success">
        <span className="success-mark" aria-hidden="true">
          ✓
        </span>
        <div>
          <p>
            It is registered to <strong>{deviceName}</strong>. Install it from your library.
          </p>
          {/* What the store charged, which is not necessarily the price listed when the page loaded. */}
          <p className="muted">
            {purchase.priceCents === 0
              ? 'Nothing was charged.'
              : `Charged ${formatPrice(purchase.priceCents, purchase.currency)}.`}
          </p>
        </div>
      </div>
    </Dialog>
  );
}
