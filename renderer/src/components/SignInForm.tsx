import { useState, type FormEvent } from 'react';
import { useStatusStore } from '../stores/status.ts';

export function SignInForm() {
  const signIn = useStatusStore((s) => s.signIn);
  const pending = useStatusStore((s) => s.pending);
  const actionError = useStatusStore((s) => s.actionError);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await signIn(email, password)) setPassword('');
  };

  return (
    <section className="card" aria-labelledby="sign-in-title">
      <h2 id="sign-in-title">Sign in</h2>
      <form className="form" onSubmit={(event) => void submit(event)}>
        <label>
          Email
          <input
            type="email"
            autoComplete="username"
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            required
          />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            required
          />
        </label>
        <button type="submit" className="primary" disabled={pending !== null}>
          {pending === 'signIn' ? 'Signing in…' : 'Sign in'}
        </button>
        {actionError ? (
          <p className="error" role="alert">
            {actionError.message}
          </p>
        ) : null}
      </form>
    </section>
  );
}
