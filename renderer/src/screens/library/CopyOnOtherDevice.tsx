import { useId } from 'react';
import type { LibraryItem } from '@shared/app-api/app-api.ts';
import { useSessionStore } from '../../stores/session.ts';
import { useTransferStore } from '../../stores/transfer.ts';
import { CoverArt } from '../../ui/CoverArt.tsx';
import { registeredTo } from '../store/owned.ts';

/** A copy registered to another of the user's devices, and moving it here (the wizard, pre-filled). */
export function CopyOnOtherDevice({ item }: { item: LibraryItem }) {
  const nameId = useId();
  const thisDeviceId = useSessionStore((s) => s.status?.device.deviceId);

  const moveHere = () =>
    useTransferStore.getState().start({
      softwareId: item.softwareId,
      sourceDeviceId: item.registeredDeviceId ?? undefined,
      destinationDeviceId: thisDeviceId,
    });

  return (
    <li className="copy copy-compact" data-testid={`library-${item.softwareId}`}>
      <CoverArt softwareId={item.softwareId} name={item.name} size="small" />
      <div className="copy-body">
        <h3 id={nameId} className="copy-name">
          {item.name}
        </h3>
        <p className="copy-where" data-testid="registered-to">
          <span className="device-glyph" aria-hidden="true" />
          {registeredTo(item, thisDeviceId)}
        </p>
      </div>
      <div className="copy-actions">
        <button type="button" aria-describedby={nameId} onClick={moveHere}>
          Move to this device
        </button>
      </div>
    </li>
  );
}
