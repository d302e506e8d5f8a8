import { useEffect, useState } from 'react';
import type { DeviceSummary } from '@shared/app-api/app-api.ts';
import { useDevicesStore } from '../../stores/devices.ts';
import { useLibraryStore } from '../../stores/library.ts';
import { useTransferStore } from '../../stores/transfer.ts';
import { EmptyState, ErrorNotice, Skeleton } from '../../ui/Notices.tsx';
import { DeviceCard } from './DeviceCard.tsx';
import { RegistrationTable } from './RegistrationTable.tsx';
import { RetireDialog } from './RetireDialog.tsx';
import './devices.css';

/** The user's devices, what is registered to each, renaming, retiring and moving software. */
export function DevicesScreen() {
  const devices = useDevicesStore((s) => s.devices);
  const loaded = useDevicesStore((s) => s.loaded);
  const loading = useDevicesStore((s) => s.loading);
  const error = useDevicesStore((s) => s.error);
  const [retiring, setRetiring] = useState<DeviceSummary | null>(null);

  useEffect(() => {
    // Devices change on other computers too, so they are read afresh each visit; the
    // library (for the table's program names) is kept current by events once loaded.
    void useDevicesStore.getState().refresh();
    if (!useLibraryStore.getState().loaded) void useLibraryStore.getState().refresh();
  }, []);

  const retry = () => void useDevicesStore.getState().refresh();

  return (
    <div className="devices-screen" data-testid="devices-screen">
      <header className="page-header">
        <div>
          <h1>Devices</h1>
          <p>
            What you buy is registered to one of these devices. Move a program between them whenever you like,
            with no second charge.
          </p>
        </div>
        <button type="button" className="primary" onClick={() => useTransferStore.getState().start()}>
          Move software…
        </button>
      </header>
      {!loaded ? (
        <Skeleton rows={2} label="Loading your devices…" />
      ) : (
        <>
          {error ? (
            <ErrorNotice error={error} onRetry={retry} retrying={loading} testId="devices-error" />
          ) : null}
          {/* A first load that failed has nothing to show but the way to try again. */}
          {error && devices.length === 0 ? null : (
            <>
              <DeviceList devices={devices} onRetire={setRetiring} />
              <RegistrationTable devices={devices} />
            </>
          )}
        </>
      )}
      {retiring ? <RetireDialog device={retiring} onClose={() => setRetiring(null)} /> : null}
    </div>
  );
}

function DeviceList({
  devices,
  onRetire,
}: {
  devices: DeviceSummary[];
  onRetire(device: DeviceSummary): void;
}) {
  return (
    <section className="devices-section" aria-labelledby="devices-list-title">
      <div className="devices-section-head">
        <h2 id="devices-list-title">Your devices</h2>
        <span className="muted">{devices.length} enrolled</span>
      </div>
      {devices.length === 0 ? (
        <EmptyState title="No devices enrolled">
          Devices appear here once Keyport is set up on them.
        </EmptyState>
      ) : (
        <ul className="device-grid">
          {devices.map((device) => (
            <DeviceCard key={device.deviceId} device={device} onRetire={() => onRetire(device)} />
          ))}
        </ul>
      )}
    </section>
  );
}
