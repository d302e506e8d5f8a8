/**
 * Pushed events feed the stores: the only place that listens to the app, so screens read
 * state and never subscribe themselves.
 */
import { client } from '../client.ts';
import { useLibraryStore } from './library.ts';
import { useStatusStore } from './status.ts';

export function connectClientEvents(): () => void {
  return client.subscribe((event) => {
    switch (event.name) {
      case 'install-progress':
        useLibraryStore.getState().applyProgress(event.payload);
        break;
      case 'library-changed':
        if (useStatusStore.getState().status?.user) void useLibraryStore.getState().refresh();
        break;
      case 'status-changed':
        useStatusStore.getState().setStatus(event.payload);
        break;
    }
  });
}
