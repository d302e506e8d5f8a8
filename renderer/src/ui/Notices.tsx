/** The few shapes every screen uses for "not there yet", "nothing here" and "that failed". */
import type { ReactNode } from 'react';
import type { ShownError } from '../errors.ts';
import { Sentence } from './Sentence.tsx';

/** A failure as a sentence with the next step; never a stack or a status code. */
export function ErrorNotice({
  error,
  onRetry,
  retrying = false,
  testId,
}: {
  error: ShownError;
  onRetry?: () => void;
  retrying?: boolean;
  testId?: string;
}) {
  return (
    <div className="notice notice-error" role="alert" data-testid={testId} data-code={error.code}>
      <span className="notice-icon" aria-hidden="true">
        !
      </span>
      <p className="notice-text">
        <Sentence text={error.message} />
      </p>
      {onRetry ? (
        <button type="button" className="small" onClick={onRetry} disabled={retrying}>
          {retrying ? 'Trying again…' : 'Try again'}
        </button>
      ) : null}
    </div>
  );
}

/** Something is on its way: a spinner and what is being fetched, announced politely. */
export function Loading({ label, testId }: { label: string; testId?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite" data-testid={testId}>
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

/** Placeholder rows in the shape of what is coming, so the screen does not jump. */
export function Skeleton({ rows = 3, label }: { rows?: number; label: string }) {
  return (
    <div className="skeleton" role="status" aria-live="polite" aria-label={label} data-testid="skeleton">
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton-row" aria-hidden="true" />
      ))}
    </div>
  );
}

export function EmptyState({
  title,
  children,
  action,
  testId,
}: {
  title: string;
  children?: ReactNode;
  action?: ReactNode;
  testId?: string;
}) {
  return (
    <div className="empty-state" data-testid={testId}>
      <div className="empty-art" aria-hidden="true" />
      <h3>{title}</h3>
      {children ? <p className="muted">{children}</p> : null}
      {action ? <div className="empty-action">{action}</div> : null}
    </div>
  );
}

export type BannerTone = 'info' | 'warn' | 'error';

/** A strip across the top of the content for app-wide conditions (offline, keychain). */
export function Banner({
  tone,
  title,
  children,
  action,
  testId,
}: {
  tone: BannerTone;
  title: string;
  children?: ReactNode;
  action?: ReactNode;
  testId?: string;
}) {
  return (
    <div className={`banner banner-${tone}`} role={tone === 'info' ? 'status' : 'alert'} data-testid={testId}>
      <div className="banner-text">
        <strong>{title}</strong>
        {children ? <span> {children}</span> : null}
      </div>
      {action ? <div className="banner-action">{action}</div> : null}
    </div>
  );
}

/** A small coloured label: "Installed", "Owned", "Free". */
export function Badge({
  tone,
  children,
}: {
  tone: 'ok' | 'info' | 'warn' | 'muted' | 'accent';
  children: ReactNode;
}) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}
