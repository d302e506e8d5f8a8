/**
 * Keeps what the window says about its connections true. Two can be lost: the store
 * (the core reports `online`, and keeps probing by itself while it is not) and, in the web
 * shell, the local app (the bridge reports whether it answers). This asks again at once
 * when the OS says the network is back or the window regains focus, and when either
 * connection returns it drops the errors that only said it was gone and reloads what the
 * screens show, so nothing stale is left on screen.
 */
import { watchLocalApp } from '../core.ts';
import { appWasNotAnswering, storeWasUnreachable, type StaleError } from '../errors.ts';
import { useCatalogStore } from './catalog.ts';
import { useDevicesStore } from './devices.ts';
import { useLibraryStore } from './library.ts';
import { usePurchaseStore } from './purchase.ts';
import { useSessionStore } from './session.ts';

export function watchConnection(): () => void {
  const retrySoon = () => void useSessionStore.getState().retrySoon();
  window.addEventListener('online', retrySoon);
  window.addEventListener('focus', retrySoon);
  const stopWatchingApp = watchLocalApp((answering) => useSessionStore.getState().setAnswering(answering));
  const stopWatchingSession = useSessionStore.subscribe((now, before) => {
    if (before.status?.online === false && now.status?.online === true) cameBack(storeWasUnreachable);
    if (!before.answering && now.answering) cameBack(appWasNotAnswering);
  });
  return () => {
    window.removeEventListener('online', retrySoon);
    window.removeEventListener('focus', retrySoon);
    stopWatchingApp();
    stopWatchingSession();
  };
}

function cameBack(stale: StaleError): void {
  useSessionStore.getState().forgetErrors(stale);
  useLibraryStore.getState().forgetErrors(stale);
  useCatalogStore.getState().forgetErrors(stale);
  useDevicesStore.getState().forgetErrors(stale);
  usePurchaseStore.getState().forgetErrors(stale);
  // What was loaded while out of reach may be partial (the library offline knows only this
  // device's copies): load again what has been shown.
  if (!useSessionStore.getState().status?.user) return;
  if (useLibraryStore.getState().loaded) void useLibraryStore.getState().refresh();
  if (useDevicesStore.getState().loaded) void useDevicesStore.getState().refresh();
  if (useCatalogStore.getState().loaded) void useCatalogStore.getState().search();
}
