import type { DeviceSummary } from '@shared/app-api/app-api.ts';
import { useDevicesStore } from '../../stores/devices.ts';
import { Dialog } from '../../ui/Dialog.tsx';

/** Asks before taking a device off the account; warns when it is the one in use. */
export function RetireDialog({ device, onClose }: { device: DeviceSummary; onClose(): void }) {
  const busy = useDevicesStore((s) => s.busy[device.deviceId]);

  // Closes either way: a failure is shown on the device's card, where it stays.
  const retire = async () => {
    await useDevicesStore.getState().retire(device.deviceId);
    onClose();
  };

  return (
    <Dialog
      title={`Retire ${device.name}?`}
      testId="retire-dialog"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="quiet" onClick={onClose} disabled={busy !== undefined}>
            Cancel
          </button>
          <button
            type="button"
            className="danger"
            data-autofocus
            onClick={() => void retire()}
            disabled={busy !== undefined}
          >
            {busy === 'retire' ? 'Retiring…' : 'Retire device'}
          </button>
        </>
      }
    >
      <p>
        Retiring takes {device.name} off your account. It frees a slot under your account&apos;s device limit,
        so you can enrol a new computer.
      </p>
      <p className="muted">
        Nothing is bought or lost: the device can be enrolled again later by signing in to Keyport on it.
      </p>
      {device.isThisDevice ? (
        <p className="retire-this-device">
          This is the device you are using. Keyport will go back to the setup screen, where you can enrol it
          again.
        </p>
      ) : null}
    </Dialog>
  );
}
