import { useEffect } from 'react';
import { AuthScreen } from './screens/auth/AuthScreen.tsx';
import { DevicesScreen } from './screens/devices/DevicesScreen.tsx';
import { FirstRunScreen } from './screens/first-run/FirstRunScreen.tsx';
import { RecoveryOffer } from './screens/first-run/RecoveryOffer.tsx';
import { LibraryScreen } from './screens/library/LibraryScreen.tsx';
import { StoreScreen } from './screens/store/StoreScreen.tsx';
import { TransferWizard } from './screens/transfer/TransferWizard.tsx';
import { Banners } from './shell/Banners.tsx';
import { Sidebar } from './shell/Sidebar.tsx';
import { Splash } from './shell/Splash.tsx';
import { StartupProblem } from './shell/StartupProblem.tsx';
import { resetStores } from './stores/all-stores.ts';
import { watchConnection } from './stores/connection.ts';
import { connectAppEvents } from './stores/events.ts';
import { useNavigationStore } from './stores/navigation.ts';
import { useRecoveryStore } from './stores/recovery.ts';
import { useSessionStore } from './stores/session.ts';
import { useTransferStore } from './stores/transfer.ts';

/**
 * Which screen the window shows: the core's startup problem, the splash, sign-in, the
 * first run on this device, or the app itself (library, store, devices, and the transfer
 * wizard over them).
 */
export function App() {
  const status = useSessionStore((s) => s.status);
  const problem = useSessionStore((s) => s.problem);
  const view = useNavigationStore((s) => s.view);
  const wizardOpen = useTransferStore((s) => s.open);
  const recovery = useRecoveryStore((s) => (s.closed ? 'closed' : s.outcome ? 'done' : 'open'));
  const userId = status?.user?.userId ?? null;

  useEffect(() => {
    const disconnect = connectAppEvents();
    const unwatch = watchConnection();
    void useSessionStore.getState().refresh();
    return () => {
      unwatch();
      disconnect();
    };
  }, []);

  // Everything but the session belongs to whoever was signed in: start clean when that changes.
  useEffect(() => {
    resetStores([useSessionStore]);
  }, [userId]);

  if (problem && !status) return <StartupProblem problem={problem} />;
  if (!status) return <Splash />;
  if (!status.user) return <AuthScreen status={status} />;
  if (!status.device.enrolled) return <FirstRunScreen status={status} />;
  // Enrolled, and recognised as an older device of the account: the first run goes on with
  // the offer to move that device's programs here (and then says what moved).
  if (recovery === 'done' || (recovery === 'open' && status.device.recognisedAs)) {
    return <RecoveryOffer recognisedAs={status.device.recognisedAs} />;
  }

  return (
    <div className="app">
      <Sidebar status={status} />
      <div className="main">
        <Banners status={status} />
        <main className="main-inner" id="content" tabIndex={-1}>
          {view === 'library' ? <LibraryScreen /> : null}
          {view === 'store' ? <StoreScreen /> : null}
          {view === 'devices' ? <DevicesScreen /> : null}
        </main>
      </div>
      {wizardOpen ? <TransferWizard /> : null}
    </div>
  );
}
