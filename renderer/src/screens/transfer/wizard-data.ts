/** What the wizard's steps read: the user's programs and devices, and where each copy is. */
import { useEffect } from 'react';
import type { DeviceSummary, LibraryItem } from '@shared/app-api/app-api.ts';
import { useDevicesStore } from '../../stores/devices.ts';
import { useLibraryStore } from '../../stores/library.ts';
import type { TransferChoices } from '../../stores/transfer.ts';

export interface WizardData {
  /** By name. */
  programs: LibraryItem[];
  devices: DeviceSummary[];
  program(softwareId: string | undefined): LibraryItem | undefined;
  device(deviceId: string | undefined): DeviceSummary | undefined;
  /** The device a program is registered to now. */
  holderOf(softwareId: string): DeviceSummary | undefined;
}

export function useWizardData(): WizardData {
  const items = useLibraryStore((s) => s.items);
  const devices = useDevicesStore((s) => s.devices);
  const program = (softwareId: string | undefined) => items.find((item) => item.softwareId === softwareId);
  const device = (deviceId: string | undefined) => devices.find((d) => d.deviceId === deviceId);
  return {
    programs: [...items].sort((a, b) => a.name.localeCompare(b.name)),
    devices,
    program,
    device,
    // The devices and the library are read separately; a copy bought a moment ago may be
    // known to the library before the device list has caught up.
    holderOf: (softwareId) =>
      devices.find((d) => d.software.includes(softwareId)) ??
      device(program(softwareId)?.registeredDeviceId ?? undefined),
  };
}

/** The chosen program and devices by name, as the review and the result say them. */
export function chosenNames(data: WizardData, choices: TransferChoices) {
  return {
    program: data.program(choices.softwareId)?.name ?? 'This program',
    source: data.device(choices.sourceDeviceId)?.name ?? 'the other device',
    destination: data.device(choices.destinationDeviceId)?.name ?? 'the other device',
  };
}

export type Readiness = 'loading' | 'failed' | 'ready';

/** Whether the programs and devices are there to choose from, loading them as needed. */
export function useReadiness(): Readiness {
  const libraryLoaded = useLibraryStore((s) => s.loaded);
  const libraryFailed = useLibraryStore((s) => s.error !== null && s.items.length === 0);
  const devicesLoaded = useDevicesStore((s) => s.loaded);
  const devicesFailed = useDevicesStore((s) => s.error !== null && s.devices.length === 0);
  useEffect(() => {
    // The devices may never have been loaded (opened from the library), or be old: copies
    // move from other computers too. The library is kept current by events once loaded.
    void useDevicesStore.getState().refresh();
    if (!useLibraryStore.getState().loaded) void useLibraryStore.getState().refresh();
  }, []);
  if (libraryFailed || devicesFailed) return 'failed';
  return libraryLoaded && devicesLoaded ? 'ready' : 'loading';
}
