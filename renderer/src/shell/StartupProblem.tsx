import type { ShownError } from '../errors.ts';
import { useSessionStore } from '../stores/session.ts';
import { Logo } from '../ui/Brand.tsx';
import { Sentence } from '../ui/Sentence.tsx';

/** Shown instead of the app when nothing can work: what happened, and a way to try again. */
export function StartupProblem({ problem }: { problem: ShownError }) {
  const refresh = useSessionStore((s) => s.refresh);
  const pending = useSessionStore((s) => s.pending);
  const keychain = problem.code === 'KEYCHAIN_UNAVAILABLE';
  return (
    <main className="startup-problem" data-testid="startup-problem">
      <div className="startup-card" role="alert">
        <Logo large />
        <h1>{keychain ? 'Keyport cannot reach your keychain' : 'Keyport cannot start'}</h1>
        <p className="sentence">
          <Sentence text={problem.message} />
        </p>
        <p className="muted">
          {keychain
            ? 'Keyport keeps license keys only in the OS keychain, so it will not store them in plain text behind your back. Once your keychain is running and unlocked, try again; if it still cannot reach it, restart Keyport.'
            : 'Nothing you bought is lost: your purchases are kept by the store. When that is sorted out, try again; you do not need to restart Keyport.'}
        </p>
        <button type="button" className="primary" onClick={() => void refresh()} disabled={pending !== null}>
          {pending ? 'Trying…' : 'Try again'}
        </button>
        <p className="code muted">Error code: {problem.code}</p>
      </div>
    </main>
  );
}
