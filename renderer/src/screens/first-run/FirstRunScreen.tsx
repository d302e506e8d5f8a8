import { useEffect, useState, type FormEvent } from 'react';
import type { AppStatus } from '@shared/app-api/app-api.ts';
import { useDevicesStore } from '../../stores/devices.ts';
import { useSessionStore } from '../../stores/session.ts';
import { ErrorNotice, Loading } from '../../ui/Notices.tsx';
import { Sentence } from '../../ui/Sentence.tsx';
import { programCount } from '../devices/wording.ts';
import { Brand } from '../../ui/Brand.tsx';
import '../auth/auth.css';

/** What each hardware source is, in words. */
const SOURCE_LABELS: Record<string, string> = {
  'system.uuid': 'System UUID',
  'system.serial': 'System serial number',
  'bios.serial': 'BIOS serial number',
  'baseboard.serial': 'Motherboard serial number',
  'os.machine-id': 'OS machine ID',
  simulated: 'Simulated device name',
};

export const sourceLabel = (source: string) => SOURCE_LABELS[source] ?? source;

/**
 * The first run on this device: which device this is (its ID and where the ID comes
 * from), what to call it, and enrolling it. When the account is at its device limit, the
 * devices it has are listed so one can be retired right here.
 */
export function FirstRunScreen({ status }: { status: AppStatus }) {
  const enrol = useSessionStore((s) => s.enrol);
  const signOut = useSessionStore((s) => s.signOut);
  const pending = useSessionStore((s) => s.pending);
  const actionError = useSessionStore((s) => s.actionError);
  const [name, setName] = useState(status.device.name);
  const { device, user } = status;
  const atLimit = actionError?.code === 'DEVICE_LIMIT';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim()) void enrol(name.trim());
  };

  return (
    <main className="auth" data-testid="first-run">
      <section className="auth-hero" aria-labelledby="first-run-title">
        <Brand />
        <h1 id="first-run-title">Set up this device</h1>
        <p>
          Welcome, {user?.displayName}. Keyport registers what you buy to a device, and checks before every
          launch that it is running on that device. Enrol this one to buy, install and run software on it.
        </p>
        <p className="muted">
          Signed in as {user?.email}.{' '}
          <button
            type="button"
            className="text-button"
            onClick={() => void signOut()}
            disabled={pending !== null}
          >
            Not you? Sign out
          </button>
        </p>
      </section>
      <form className="auth-card card first-run-card" onSubmit={submit} aria-label="Enrol this device">
        <div className="device-id-box">
          <span className="eyebrow">Device ID</span>
          <code data-testid="device-id" title={device.deviceId}>
            {device.shortId}
          </code>
          <span className="muted">Made from:</span>
          <ul className="sources" data-testid="device-sources">
            {device.sources.map((source) => (
              <li key={source}>{sourceLabel(source)}</li>
            ))}
          </ul>
          {device.simulatedAs ? (
            <span className="muted">Simulated with --simulate-device {device.simulatedAs}.</span>
          ) : null}
        </div>
        <label>
          Name this device
          <input
            value={name}
            maxLength={100}
            required
            onChange={(e) => setName(e.target.value)}
            data-testid="device-name-input"
          />
        </label>
        {atLimit ? <DeviceLimit /> : actionError ? <ErrorNotice error={actionError} /> : null}
        <button type="submit" className="primary large" disabled={pending !== null || !name.trim()}>
          {pending === 'enrol' ? 'Enrolling…' : 'Enrol this device'}
        </button>
      </form>
    </main>
  );
}

/** At the device limit: the devices there are, and retiring one that holds nothing. */
function DeviceLimit() {
  const devices = useDevicesStore((s) => s.devices);
  const loaded = useDevicesStore((s) => s.loaded);
  const error = useDevicesStore((s) => s.error);
  const busy = useDevicesStore((s) => s.busy);
  const deviceErrors = useDevicesStore((s) => s.deviceErrors);
  const { refresh, retire } = useDevicesStore.getState();

  useEffect(() => {
    void useDevicesStore.getState().refresh();
  }, []);

  return (
    <div className="notice-block" role="alert" data-testid="device-limit">
      <p>
        <strong>Your account has reached its device limit.</strong> Each account can enrol a fixed number of
        devices. Retire one you no longer use, then enrol this one. A device that still has software
        registered to it has to move that software first.
      </p>
      {!loaded ? <Loading label="Loading your devices…" /> : null}
      {error ? <ErrorNotice error={error} onRetry={() => void refresh()} /> : null}
      <ul className="limit-devices">
        {devices.map((d) => (
          <li key={d.deviceId}>
            <span className="device-text">
              <strong>{d.name}</strong>
              <span className="muted">
                {d.software.length === 0
                  ? 'Nothing registered'
                  : `${programCount(d.software.length)} registered`}
              </span>
              {deviceErrors[d.deviceId] ? (
                <span className="error-text">
                  <Sentence text={deviceErrors[d.deviceId]!.message} />
                </span>
              ) : null}
            </span>
            <button
              type="button"
              className="danger small"
              disabled={d.software.length > 0 || busy[d.deviceId] !== undefined}
              title={d.software.length > 0 ? 'Move its software to another device first' : undefined}
              onClick={() => void retire(d.deviceId)}
            >
              {busy[d.deviceId] === 'retire' ? 'Retiring…' : `Retire ${d.name}`}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
