import { useEffect } from 'react';
import type { ThisDevice } from '@shared/app-api/app-api.ts';
import { useLibraryStore } from '../../stores/library.ts';
import { useRecoveryStore } from '../../stores/recovery.ts';
import { Brand } from '../../ui/Brand.tsx';
import { ErrorNotice } from '../../ui/Notices.tsx';
import { programCount } from '../devices/wording.ts';
import '../auth/auth.css';

/**
 * Right after enrolling, when the provider recognised this device as an older one of the
 * account after a hardware change (most components match): offer to move that device's
 * programs here in one step. Declining leaves everything as it is; the transfer wizard
 * still moves programs one at a time.
 */
export function RecoveryOffer({ recognisedAs }: { recognisedAs: ThisDevice['recognisedAs'] }) {
  const pending = useRecoveryStore((s) => s.pending);
  const error = useRecoveryStore((s) => s.error);
  const outcome = useRecoveryStore((s) => s.outcome);
  const { recover, close } = useRecoveryStore.getState();
  // The library knows the programs' names (the provider's offer names only their IDs).
  const names = useLibraryStore((s) => s.items);
  const nameOf = (softwareId: string) =>
    names.find((item) => item.softwareId === softwareId)?.name ?? softwareId;
  useEffect(() => {
    void useLibraryStore.getState().refresh();
  }, []);

  if (outcome) {
    const moved = outcome.recovery.copies.map((copy) => copy.softwareId);
    return (
      <main className="auth" data-testid="recovery-done">
        <section className="auth-hero" aria-labelledby="recovery-title">
          <Brand />
          <h1 id="recovery-title">Welcome back</h1>
          <p role="status">
            {moved.length === 0
              ? `${outcome.fromDeviceName} is retired; it had no programs to move.`
              : `${programCount(moved.length)} moved here from ${outcome.fromDeviceName}, which is now retired. Install ${moved.length === 1 ? 'it' : 'them'} from your library.`}
          </p>
        </section>
        <div className="auth-card card first-run-card">
          {moved.length > 0 ? (
            <ul className="sources" aria-label="Moved here">
              {moved.map((softwareId) => (
                <li key={softwareId}>{nameOf(softwareId)}</li>
              ))}
            </ul>
          ) : null}
          <button type="button" className="primary large" onClick={close} autoFocus>
            Go to your library
          </button>
        </div>
      </main>
    );
  }

  if (!recognisedAs) return null;
  const count = recognisedAs.software.length;
  return (
    <main className="auth" data-testid="recovery-offer">
      <section className="auth-hero" aria-labelledby="recovery-title">
        <Brand />
        <h1 id="recovery-title">This looks like your {recognisedAs.name}</h1>
        <p>
          This device is enrolled. Its hardware matches {recognisedAs.matchedComponents} of the{' '}
          {recognisedAs.comparedComponents} parts Keyport knows of your {recognisedAs.name}, so it is most
          likely the same machine after a hardware change or a reinstall.
        </p>
      </section>
      <div className="auth-card card first-run-card" role="group" aria-labelledby="recovery-question">
        <p id="recovery-question">
          <strong>
            {count === 0
              ? `Retire ${recognisedAs.name}? Nothing is registered to it.`
              : `Move its ${programCount(count)} here?`}
          </strong>{' '}
          In one step, with no new charge: {count === 0 ? '' : 'every copy moves to this device, and '}
          {recognisedAs.name} is retired, so it can no longer run {count === 1 ? 'it' : 'them'}.
        </p>
        {count > 0 ? (
          <ul className="sources" aria-label={`On ${recognisedAs.name}`}>
            {recognisedAs.software.map((softwareId) => (
              <li key={softwareId}>{nameOf(softwareId)}</li>
            ))}
          </ul>
        ) : null}
        {error ? <ErrorNotice error={error} /> : null}
        <button
          type="button"
          className="primary large"
          disabled={pending}
          onClick={() => void recover(recognisedAs.deviceId)}
        >
          {pending ? 'Moving…' : count === 0 ? `Retire ${recognisedAs.name}` : `Move its programs here`}
        </button>
        <button type="button" className="text-button" disabled={pending} onClick={close}>
          Not now — it is another machine
        </button>
      </div>
    </main>
  );
}
