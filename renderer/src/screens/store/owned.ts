import type { LibraryItem } from '@shared/app-api/app-api.ts';
import { useLibraryStore } from '../../stores/library.ts';

/** The user's copy of a program, whatever state it is in, or undefined if they do not own it. */
export function useOwnedCopy(softwareId: string): LibraryItem | undefined {
  return useLibraryStore((s) => s.items.find((item) => item.softwareId === softwareId));
}

/** Where the copy is registered, as a sentence fragment: "Registered to Studio PC". */
export function registeredTo(copy: LibraryItem, thisDeviceId: string | undefined): string {
  if (!copy.registeredDeviceName) return 'Registered to one of your devices';
  const here = copy.registeredDeviceId !== null && copy.registeredDeviceId === thisDeviceId;
  return `Registered to ${copy.registeredDeviceName}${here ? ' (this device)' : ''}`;
}
