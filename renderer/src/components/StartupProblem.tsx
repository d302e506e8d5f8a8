import type { ShownError } from '../errors.ts';
import { useStatusStore } from '../stores/status.ts';

/** Shown instead of the app when nothing can work: the sentence, and a way to try again. */
export function StartupProblem({ problem }: { problem: ShownError }) {
  const refresh = useStatusStore((s) => s.refresh);
  const pending = useStatusStore((s) => s.pending);
  return (
    <main className="startup-problem" role="alert" data-testid="startup-problem">
      <h1>Keyport cannot start</h1>
      <p className="sentence">{problem.message}</p>
      <p className="hint">When that is sorted out, try again; you do not need to restart Keyport.</p>
      <button type="button" className="primary" onClick={() => void refresh()} disabled={pending !== null}>
        {pending ? 'Trying…' : 'Try again'}
      </button>
      <p className="code">Error code: {problem.code}</p>
    </main>
  );
}
