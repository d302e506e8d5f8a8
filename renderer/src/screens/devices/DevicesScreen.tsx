// Reconstructed from the 08:49 renderer build after renderer/ was wiped by accident
// (see the library helper's report); logic, text and markup as built, comments lost.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { DeviceSummary } from '../../../../shared/client-api.ts';
import { formatDate } from '../../format.ts';
import { useDevicesStore } from '../../stores/devices.ts';
import { useLibraryStore } from '../../stores/library.ts';
import { useNavigationStore } from '../../stores/navigation.ts';
import { useTransferStore } from '../../stores/transfer.ts';
import { Dialog } from '../../ui/Dialog.tsx';
import { Badge, EmptyState, ErrorNotice, Skeleton } from '../../ui/Notices.tsx';
import './devices.css';

const PLATFORMS: Record<string, string> = {
  linux: 'Linux',
  darwin: 'macOS',
  win32: 'Windows',
  windows: 'Windows',
  macos: 'macOS',
};

const platformName = (platform: string) => PLATFORMS[platform.toLowerCase()] ?? platform;
const programs = (count: number) => `${count} program${count === 1 ? '' : 's'}`;

/** The user's devices, what is registered to each, renaming, retiring and moving software. */
export function DevicesScreen() {
  const devices = useDevicesStore((s) => s.devices);
  const loaded = useDevicesStore((s) => s.loaded);
  const loading = useDevicesStore((s) => s.loading);
  const error = useDevicesStore((s) => s.error);
  const [retiring, setRetiring] = useState<DeviceSummary | null>(null);

  useEffect(() => {
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
      ) : error && devices.length === 0 ? (
        <ErrorNotice error={error} onRetry={retry} retrying={loading} testId="devices-error" />
      ) : (
        <>
          {error ? (
            <ErrorNotice error={error} onRetry={retry} retrying={loading} testId="devices-error" />
          ) : null}
          <section className="devices-section" aria-labelledby="devices-list-title">
            <div className="section-head">
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
                  <DeviceCard key={device.deviceId} device={device} onRetire={() => setRetiring(device)} />
                ))}
              </ul>
            )}
          </section>
          <RegistrationTable devices={devices} />
        </>
      )}
      {retiring ? <RetireDialog device={retiring} onClose={() => setRetiring(null)} /> : null}
    </div>
  );
}

function DeviceCard({ device, onRetire }: { device: DeviceSummary; onRetire(): void }) {
  const busy = useDevicesStore((s) => s.busy[device.deviceId]);
  const error = useDevicesStore((s) => s.deviceErrors[device.deviceId]);
  const [renaming, setRenaming] = useState(false);
  const renameButton = useRef<HTMLButtonElement>(null);
  const wasRenaming = useRef(false);
  const reasonId = useId();
  const count = device.software.length;
  const enrolled = formatDate(device.enrolledAt);

  useEffect(() => {
    if (wasRenaming.current && !renaming) renameButton.current?.focus();
    wasRenaming.current = renaming;
  }, [renaming]);

  return (
    <li
      className={`card device-card${device.isThisDevice ? ' device-card-current' : ''}`}
      data-testid="device-card"
      data-device-name={device.name}
      data-this-device={device.isThisDevice ? 'true' : undefined}
    >
      <div className="device-card-head">
        <span className="device-icon" aria-hidden="true">
          {device.isThisDevice ? '◉' : '▭'}
        </span>
        <div className="device-title">
          {renaming ? (
            <RenameForm device={device} onDone={() => setRenaming(false)} />
          ) : (
            <h3>{device.name}</h3>
          )}
          {device.isThisDevice ? <Badge tone="accent">This device</Badge> : null}
        </div>
      </div>
      <dl className="facts device-facts">
        <dt>Platform</dt>
        <dd>{platformName(device.platform)}</dd>
        <dt>Enrolled</dt>
        <dd>{enrolled ?? 'Unknown'}</dd>
        <dt>Registered</dt>
        <dd data-testid="device-program-count">{count === 0 ? 'Nothing yet' : programs(count)}</dd>
      </dl>
      {error ? <ErrorNotice error={error} /> : null}
      {renaming ? null : (
        <div className="device-actions">
          <button
            type="button"
            className="small"
            ref={renameButton}
            onClick={() => setRenaming(true)}
            disabled={busy !== undefined}
          >
            Rename <span className="visually-hidden">{device.name}</span>
          </button>
          {count > 0 ? (
            <button
              type="button"
              className="small"
              onClick={() => useTransferStore.getState().start({ sourceDeviceId: device.deviceId })}
            >
              Move software… <span className="visually-hidden">from {device.name}</span>
            </button>
          ) : null}
        </div>
      )}
      <div className="retire-row">
        <p className={count > 0 ? 'retire-reason' : 'retire-hint'} id={reasonId} data-testid="retire-reason">
          {count > 0
            ? `Move its ${programs(count)} to another device first, then it can be retired.`
            : 'Nothing is registered to it, so it can be retired.'}
        </p>
        <button
          type="button"
          className="danger small"
          onClick={onRetire}
          disabled={count > 0 || busy !== undefined}
          aria-describedby={reasonId}
        >
          {busy === 'remove' ? 'Retiring… ' : 'Retire '}
          <span className="visually-hidden">{device.name}</span>
        </button>
      </div>
    </li>
  );
}

function RenameForm({ device, onDone }: { device: DeviceSummary; onDone(): void }) {
  const busy = useDevicesStore((s) => s.busy[device.deviceId]);
  const [name, setName] = useState(device.name);
  const inputId = useId();
  const trimmed = name.trim();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!trimmed || busy) return;
    if (trimmed === device.name) return onDone();
    if (await useDevicesStore.getState().rename(device.deviceId, trimmed)) onDone();
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
              useDevicesStore.getState().clearDeviceError(device.deviceId);
              onDone();
            }
          }}
        />
        <button type="submit" className="primary small" disabled={!trimmed || busy !== undefined}>
          {busy === 'rename' ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="quiet small" onClick={onDone} disabled={busy !== undefined}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function RetireDialog({ device, onClose }: { device: DeviceSummary; onClose(): void }) {
  const busy = useDevicesStore((s) => s.busy[device.deviceId]);
  const retire = async () => {
    await useDevicesStore.getState().remove(device.deviceId);
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
            {busy === 'remove' ? 'Retiring…' : 'Retire device'}
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

/** The registered information: one row per program, one column per device. */
function RegistrationTable({ devices }: { devices: DeviceSummary[] }) {
  const items = useLibraryStore((s) => s.items);
  const loaded = useLibraryStore((s) => s.loaded);
  const error = useLibraryStore((s) => s.error);
  const go = useNavigationStore((s) => s.go);
  const names = new Map(items.map((item) => [item.softwareId, item.name]));
  for (const device of devices) {
    for (const softwareId of device.software) if (!names.has(softwareId)) names.set(softwareId, softwareId);
  }
  const rows = [...names].sort((a, b) => a[1].localeCompare(b[1]));

  return (
    <section className="devices-section" aria-labelledby="registered-title">
      <div className="section-head">
        <h2 id="registered-title">Registered information</h2>
        <span className="muted">Each copy is registered to exactly one device.</span>
      </div>
      {!loaded && rows.length === 0 ? (
        <Skeleton rows={2} label="Loading your programs…" />
      ) : error && rows.length === 0 ? (
        <ErrorNotice error={error} onRetry={() => void useLibraryStore.getState().refresh()} />
      ) : rows.length === 0 ? (
        <EmptyState
          title="You do not own any programs yet"
          testId="registration-empty"
          action={
            <button type="button" className="primary" onClick={() => go('store')}>
              Browse the store
            </button>
          }
        >
          When you buy something, this table shows which device it is registered to.
        </EmptyState>
      ) : (
        <div className="table-scroll" role="region" aria-labelledby="registered-title" tabIndex={0}>
          <table className="registration-table" data-testid="registration-table">
            <caption className="visually-hidden">
              Registered information: which device each program is registered to
            </caption>
            <thead>
              <tr>
                <th scope="col">Program</th>
                {devices.map((device) => (
                  <th
                    key={device.deviceId}
                    scope="col"
                    className={device.isThisDevice ? 'current-device' : undefined}
                  >
                    {device.name}
                    {device.isThisDevice ? (
                      <>
                        {' '}
                        <span className="column-badge">(this device)</span>
                      </>
                    ) : null}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map(([softwareId, name]) => (
                <tr key={softwareId}>
                  <th scope="row">{name}</th>
                  {devices.map((device) => (
                    <RegistrationCell
                      key={device.deviceId}
                      registered={device.software.includes(softwareId)}
                    />
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function RegistrationCell({ registered }: { registered: boolean }) {
  return (
    <td className={registered ? 'registered' : 'not-registered'}>
      {registered ? (
        <>
          <span className="tick" aria-hidden="true">
            ✓
          </span>
          <span className="visually-hidden">Registered</span>
        </>
      ) : (
        <>
          <span className="dash" aria-hidden="true">
            ·
          </span>
          <span className="visually-hidden">Not registered</span>
        </>
      )}
    </td>
  );
}
