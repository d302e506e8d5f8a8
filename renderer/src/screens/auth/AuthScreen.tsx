import { useState, type FormEvent } from 'react';
import type { AppStatus } from '@shared/app-api/app-api.ts';
import { useSessionStore } from '../../stores/session.ts';
import { ErrorNotice } from '../../ui/Notices.tsx';
import { Brand } from '../../ui/Brand.tsx';
import './auth.css';

type Mode = 'sign-in' | 'create';

const TABS: Array<{ mode: Mode; id: string; label: string }> = [
  { mode: 'sign-in', id: 'tab-sign-in', label: 'Sign in' },
  { mode: 'create', id: 'tab-create', label: 'Create account' },
];

const MIN_PASSWORD = 8;

/** Sign in, or create an account; the first thing a new install shows. */
export function AuthScreen({ status }: { status: AppStatus }) {
  const [mode, setMode] = useState<Mode>('sign-in');
  const clearActionError = useSessionStore((s) => s.clearActionError);
  const current = TABS.find((tab) => tab.mode === mode)!;
  const switchTo = (next: Mode) => {
    clearActionError();
    setMode(next);
  };

  return (
    <main className="auth" data-testid="auth-screen">
      <section className="auth-hero" aria-labelledby="auth-hero-title">
        <Brand />
        <h1 id="auth-hero-title">Buy once. Take it with you.</h1>
        <p>
          Programs you buy are registered to one of your devices. When you get a new computer, move them
          across in one step, with no second charge.
        </p>
        <ul className="auth-points">
          <li>License keys stay in your OS keychain.</li>
          <li>Installed programs keep running offline.</li>
          <li>Move a copy between devices whenever you like.</li>
        </ul>
        {!status.online ? (
          <p className="warn" role="status">
            The store at {status.providerUrl} is not answering. Check your connection; signing in needs it.
          </p>
        ) : null}
      </section>
      <section className="auth-card card" aria-label={current.label}>
        <div className="segmented" role="tablist" aria-label="Account">
          {TABS.map((tab) => (
            <button
              key={tab.mode}
              type="button"
              role="tab"
              id={tab.id}
              aria-selected={mode === tab.mode}
              aria-controls="auth-panel"
              className={mode === tab.mode ? 'active' : ''}
              onClick={() => switchTo(tab.mode)}
            >
              {tab.label}
            </button>
          ))}
        </div>
        <div id="auth-panel" role="tabpanel" aria-labelledby={current.id}>
          {mode === 'sign-in' ? <SignInForm /> : <CreateAccountForm />}
        </div>
      </section>
    </main>
  );
}

function SignInForm() {
  const signIn = useSessionStore((s) => s.signIn);
  const pending = useSessionStore((s) => s.pending);
  const actionError = useSessionStore((s) => s.actionError);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void signIn(email.trim(), password);
  };

  return (
    <form className="auth-form" onSubmit={submit} data-testid="sign-in-form">
      <label>
        Email
        <input
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </label>
      <label>
        Password
        <input
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      {actionError ? <ErrorNotice error={actionError} /> : null}
      <button type="submit" className="primary large" disabled={pending !== null}>
        {pending === 'signIn' ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}

function CreateAccountForm() {
  const createAccount = useSessionStore((s) => s.createAccount);
  const pending = useSessionStore((s) => s.pending);
  const actionError = useSessionStore((s) => s.actionError);
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [touched, setTouched] = useState(false);
  const tooShort = password.length > 0 && password.length < MIN_PASSWORD;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (password.length < MIN_PASSWORD) return;
    void createAccount({ displayName: displayName.trim(), email: email.trim(), password });
  };

  return (
    <form className="auth-form" onSubmit={submit} data-testid="create-account-form">
      <label>
        Your name
        <input
          autoComplete="name"
          required
          maxLength={100}
          value={displayName}
          onChange={(e) => setDisplayName(e.target.value)}
        />
      </label>
      <label>
        Email
        <input
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </label>
      <label>
        Password
        <input
          type="password"
          autoComplete="new-password"
          required
          aria-invalid={touched && tooShort}
          aria-describedby="password-hint"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <span id="password-hint" className={touched && tooShort ? 'field-hint error-text' : 'field-hint'}>
          At least {MIN_PASSWORD} characters.
        </span>
      </label>
      {actionError ? <ErrorNotice error={actionError} /> : null}
      <button type="submit" className="primary large" disabled={pending !== null}>
        {pending === 'createAccount' ? 'Creating your account…' : 'Create account'}
      </button>
    </form>
  );
}
