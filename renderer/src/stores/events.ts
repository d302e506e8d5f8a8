/**
 * Pushed events feed the stores: the only place that listens to the app, so screens read
 * state and never subscribe themselves.
 */
import { core } from '../core.ts';
import { useDevicesStore } from './devices.ts';
import { useLibraryStore } from './library.ts';
import { useSessionStore } from './session.ts';

export function connectAppEvents(): () => void {
  return core.subscribe((event) => {
    switch (event.name) {
      case 'install-progress':
        useLibraryStore.getState().applyProgress(event.payload);
        break;
      case 'library-changed':
        // Purchases, installs, transfers and sync all change both the library and the
        // software × device table; only reload what has been shown already.
        if (!useSessionStore.getState().status?.user) break;
        void useLibraryStore.getState().refresh();
        if (useDevicesStore.getState().loaded) void useDevicesStore.getState().refresh();
        break;
      case 'status-changed':
        useSessionStore.getState().setStatus(event.payload);
        break;
    }
  });
}
