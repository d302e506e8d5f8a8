import { useEffect } from 'react';
import { CatalogSection } from './components/CatalogSection.tsx';
import { DevicePanel } from './components/DevicePanel.tsx';
import { LibrarySection } from './components/LibrarySection.tsx';
import { SignInForm } from './components/SignInForm.tsx';
import { StartupProblem } from './components/StartupProblem.tsx';
import { TopBar } from './components/TopBar.tsx';
import { useCatalogStore } from './stores/catalog.ts';
import { connectClientEvents } from './stores/events.ts';
import { useLibraryStore } from './stores/library.ts';
import { useStatusStore } from './stores/status.ts';

export function App() {
  const status = useStatusStore((s) => s.status);
  const problem = useStatusStore((s) => s.problem);
  const userId = status?.user?.userId ?? null;

  useEffect(() => {
    const disconnect = connectClientEvents();
    void useStatusStore.getState().refresh();
    void useCatalogStore.getState().search('');
    return disconnect;
  }, []);

  // The library belongs to whoever is signed in: reload it when that changes.
  useEffect(() => {
    if (userId) void useLibraryStore.getState().refresh();
    else useLibraryStore.getState().clear();
  }, [userId]);

  if (problem && !status) return <StartupProblem problem={problem} />;
  if (!status) {
    return (
      <main className="loading" aria-busy="true">
        Starting Keyport…
      </main>
    );
  }

  const canBuy = status.user !== null && status.device.enrolled;
  return (
    <div className="app">
      <TopBar status={status} />
      {problem ? (
        <div className="banner" role="alert">
          {problem.message}
        </div>
      ) : null}
      <div className="layout">
        <aside className="sidebar">
          <DevicePanel status={status} />
          {status.user ? null : <SignInForm />}
        </aside>
        <main className="content">
          {status.user ? <LibrarySection /> : null}
          <CatalogSection canBuy={canBuy} />
        </main>
      </div>
    </div>
  );
}
