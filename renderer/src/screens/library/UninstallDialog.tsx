import { useState } from 'react';
import type { LibraryItem } from '@shared/app-api/app-api.ts';
import { copyActivity, useLibraryStore } from '../../stores/library.ts';
import { Dialog } from '../../ui/Dialog.tsx';

/** "Uninstall" on a copy's row: asks first, then uninstalls; the same on every row that has it. */
export function UninstallButton({ item, nameId }: { item: LibraryItem; nameId: string }) {
  const [confirming, setConfirming] = useState(false);
  const { busy } = useLibraryStore(copyActivity(item.softwareId));
  const confirm = () => {
    setConfirming(false);
    void useLibraryStore.getState().uninstall(item.softwareId);
  };
  return (
    <>
      <button
        type="button"
        className="quiet"
        disabled={busy !== undefined}
        aria-describedby={nameId}
        onClick={() => setConfirming(true)}
      >
        {busy === 'uninstall' ? 'Uninstalling…' : 'Uninstall'}
      </button>
      {confirming ? (
        <UninstallDialog item={item} onConfirm={confirm} onClose={() => setConfirming(false)} />
      ) : null}
    </>
  );
}

/** Asks before removing a program's files; the purchase and its registration stay. */
function UninstallDialog({
  item,
  onConfirm,
  onClose,
}: {
  item: LibraryItem;
  onConfirm(): void;
  onClose(): void;
}) {
  const description =
    item.state === 'moved'
      ? 'It has moved to another of your devices already; this only removes the files left here.'
      : 'It stays yours and registered to this device; you can install it again any time.';
  return (
    <Dialog
      title={`Uninstall ${item.name}?`}
      description={description}
      onClose={onClose}
      testId="uninstall-dialog"
      footer={
        <>
          <button type="button" className="quiet" onClick={onClose} data-autofocus>
            Cancel
          </button>
          <button type="button" className="danger" onClick={onConfirm}>
            Uninstall
          </button>
        </>
      }
    >
      {item.installed ? (
        <dl className="facts">
          <dt>Version</dt>
          <dd>{item.installed.version}</dd>
          <dt>Folder</dt>
          <dd>
            <code>{item.installed.installDir}</code>
          </dd>
        </dl>
      ) : null}
    </Dialog>
  );
}
