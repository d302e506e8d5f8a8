import type { AppStatus } from '../../../shared/client-api.ts';
import { useStatusStore } from '../stores/status.ts';

/** This device and where the app stands: the "status area". */
export function DevicePanel({ status }: { status: AppStatus }) {
  const enrol = useStatusStore((s) => s.enrol);
  const pending = useStatusStore((s) => s.pending);
  const actionError = useStatusStore((s) => s.actionError);
  const { device } = status;
  return (
    <section className="card" data-testid="status" aria-labelledby="device-title">
      <h2 id="device-title">This device</h2>
      <dl className="facts">
        <dt>Name</dt>
        <dd data-testid="device-name">{device.name}</dd>
        <dt>Device ID</dt>
        <dd>
          <code data-testid="device-id" title={device.deviceId}>
            {device.shortId}
          </code>
          {device.simulatedAs ? <span className="tag">simulated: {device.simulatedAs}</span> : null}
        </dd>
        <dt>Enrolment</dt>
        <dd data-testid="enrolled">
          {device.enrolled ? (
            <span className="ok">Enrolled to your account</span>
          ) : (
            <span className="muted">Not enrolled</span>
          )}
        </dd>
        <dt>Signed in</dt>
        <dd data-testid="signed-in">
          {status.user ? `${status.user.displayName} (${status.user.email})` : 'No one'}
        </dd>
        <dt>License keys</dt>
        <dd data-testid="secret-store">
          {status.secretStore.kind === 'keychain' ? (
            status.secretStore.description
          ) : (
            <span className="warn">{status.secretStore.description}</span>
          )}
        </dd>
        <dt>Store</dt>
        <dd data-testid="provider-url">
          {status.providerUrl}{' '}
          <span className={status.online ? 'ok' : 'warn'}>{status.online ? '' : '(offline)'}</span>
        </dd>
      </dl>
      {status.user && !device.enrolled ? (
        <div className="actions">
          <p className="hint">Enrol this device to buy, install and run software on it.</p>
          <button type="button" className="primary" onClick={() => void enrol()} disabled={pending !== null}>
            {pending === 'enrol' ? 'Enrolling…' : 'Enrol this device'}
          </button>
        </div>
      ) : null}
      {actionError && pending === null && status.user ? (
        <p className="error" role="alert">
          {actionError.message}
        </p>
      ) : null}
    </section>
  );
}
