import type { AppStatus } from '@shared/app-api/app-api.ts';
import { Banner } from '../ui/Notices.tsx';
import { Sentence } from '../ui/Sentence.tsx';
import { useSessionStore } from '../stores/session.ts';

/**
 * App-wide conditions, above every screen: the local app not answering, a lost connection
 * to it, offline, keys in a plain file. While the app does not answer, its last word on
 * being online is old news, so the offline banner waits until it answers again.
 */
export function Banners({ status }: { status: AppStatus }) {
  const problem = useSessionStore((s) => s.problem);
  const answering = useSessionStore((s) => s.answering);
  const reconnect = useSessionStore((s) => s.reconnect);
  const refresh = useSessionStore((s) => s.refresh);
  const pending = useSessionStore((s) => s.pending);
  const tryAgain = (onClick: () => Promise<void>, busyLabel: string) => (
    <button type="button" className="small" onClick={() => void onClick()} disabled={pending !== null}>
      {pending === 'refresh' ? busyLabel : 'Try again'}
    </button>
  );
  return (
    <div className="banners">
      {!answering ? (
        <Banner
          tone="error"
          title="Keyport is not answering."
          testId="not-answering-banner"
          action={tryAgain(refresh, 'Trying…')}
        >
          The app that opened this window has stopped, so nothing here can change. This window keeps trying to
          reach it and carries on by itself when it answers; if Keyport is no longer running, start it again.
        </Banner>
      ) : problem ? (
        <Banner
          tone="error"
          title="Keyport lost touch with its core."
          testId="problem-banner"
          action={tryAgain(refresh, 'Trying…')}
        >
          <Sentence text={problem.message} />
        </Banner>
      ) : !status.online ? (
        <Banner
          tone="warn"
          title="You are offline."
          testId="offline-banner"
          action={tryAgain(reconnect, 'Checking…')}
        >
          Installed programs still run until their license lease ends. Buying, installing and moving copies
          need the store; Keyport keeps trying and picks up where you left off.
        </Banner>
      ) : null}
      {status.secretStore.kind === 'insecure-file' ? (
        <Banner tone="warn" title="License keys are not in a keychain." testId="keychain-banner">
          <Sentence text={status.secretStore.description} />. You chose this with --insecure-secret-file;
          anyone who can read your files can read the keys. Start Keyport without it once a keychain is
          available.
        </Banner>
      ) : null}
    </div>
  );
}
