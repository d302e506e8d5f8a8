import { useEffect, useId, useRef, useState } from 'react';
import type { DeviceSummary } from '@shared/app-api/app-api.ts';
import { formatDate } from '../../format.ts';
import { useDevicesStore } from '../../stores/devices.ts';
import { useTransferStore } from '../../stores/transfer.ts';
import { Badge, ErrorNotice } from '../../ui/Notices.tsx';
import { RenameForm } from './RenameForm.tsx';
import { platformName, programCount } from './wording.ts';

/** One device: its name (or the rename form), facts, and what can be done with it. */
export function DeviceCard({ device, onRetire }: { device: DeviceSummary; onRetire(): void }) {
  const busy = useDevicesStore((s) => s.busy[device.deviceId]);
  const error = useDevicesStore((s) => s.deviceErrors[device.deviceId]);
  const [renaming, setRenaming] = useState(false);
  const renameButton = useRef<HTMLButtonElement>(null);
  const wasRenaming = useRef(false);
  const reasonId = useId();
  const count = device.software.length;
  const cloned = device.flags.includes('in-use-on-two-machines');

  // The form takes focus with it when it closes (saved, cancelled or Escape); put it back
  // on Rename rather than leave keyboard users at the top of the page.
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
          {cloned ? <Badge tone="warn">In use on two machines</Badge> : null}
        </div>
      </div>
      {cloned ? (
        <p className="device-flag-note" data-testid="device-cloned-note">
          Two Keyport installations take turns using this device&rsquo;s ID, usually because a disk or system
          was copied to another machine. The store renews licenses only on the first of them. Give the copied
          system its own machine ID, then enrol it as a new device.
        </p>
      ) : null}
      <dl className="facts device-facts">
        <dt>Platform</dt>
        <dd>{platformName(device.platform)}</dd>
        <dt>Enrolled</dt>
        <dd>{formatDate(device.enrolledAt) ?? 'Unknown'}</dd>
        <dt>Registered</dt>
        <dd data-testid="device-program-count">{count === 0 ? 'Nothing yet' : programCount(count)}</dd>
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
        {/* The provider refuses to retire a device that holds copies, so the button says
            up front what has to happen first instead of failing after a confirmation. */}
        <p className={count > 0 ? 'retire-reason' : 'retire-hint'} id={reasonId} data-testid="retire-reason">
          {count > 0
            ? `Move its ${programCount(count)} to another device first, then it can be retired.`
            : 'Nothing is registered to it, so it can be retired.'}
        </p>
        <button
          type="button"
          className="danger small"
          onClick={onRetire}
          disabled={count > 0 || busy !== undefined}
          aria-describedby={reasonId}
        >
          {busy === 'retire' ? 'Retiring… ' : 'Retire '}
          <span className="visually-hidden">{device.name}</span>
        </button>
      </div>
    </li>
  );
}
