import { useId, useState, type FormEvent } from 'react';
import type { DeviceSummary } from '@shared/app-api/app-api.ts';
import { useDevicesStore } from '../../stores/devices.ts';

/** The device's name, editable in place of its heading. Escape or Cancel leaves it as it was. */
export function RenameForm({ device, onDone }: { device: DeviceSummary; onDone(): void }) {
  const busy = useDevicesStore((s) => s.busy[device.deviceId]);
  const [name, setName] = useState(device.name);
  const inputId = useId();
  const trimmed = name.trim();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!trimmed || busy) return;
    if (trimmed === device.name) return onDone();
    // On failure the form stays open with what was typed; the card shows why.
    if (await useDevicesStore.getState().rename(device.deviceId, trimmed)) onDone();
  };

  // A failed save's sentence is about the name being given up, so it goes too.
  const cancel = () => {
    useDevicesStore.getState().clearDeviceError(device.deviceId);
    onDone();
  };

  return (
    <form
      className="rename-form"
      onSubmit={(event) => void submit(event)}
      aria-label={`Rename ${device.name}`}
    >
      <label htmlFor={inputId}>Device name</label>
      <div className="rename-row">
        <input
          id={inputId}
          value={name}
          maxLength={100}
          required
          autoFocus
          onChange={(event) => setName(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Escape') {
              event.preventDefault();
              cancel();
            }
          }}
        />
        <button type="submit" className="primary small" disabled={!trimmed || busy !== undefined}>
          {busy === 'rename' ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="quiet small" onClick={cancel} disabled={busy !== undefined}>
          Cancel
        </button>
      </div>
    </form>
  );
}
