/**
 * The user's devices and what is registered to each (the "registered information"),
 * with renaming and retiring. Each device's action and its error stay with that device.
 */
import { create } from 'zustand';
import type { DeviceSummary } from '@shared/app-api/app-api.ts';
import { core } from '../core.ts';
import { describeError, type ShownError, type StaleError } from '../errors.ts';
import { without } from './records.ts';

export type DeviceAction = 'rename' | 'retire';

interface DevicesState {
  devices: DeviceSummary[];
  loaded: boolean;
  loading: boolean;
  error: ShownError | null;
  busy: Record<string, DeviceAction>;
  deviceErrors: Record<string, ShownError>;
  refresh(): Promise<void>;
  rename(deviceId: string, name: string): Promise<boolean>;
  retire(deviceId: string): Promise<boolean>;
  clearDeviceError(deviceId: string): void;
  /** Drop the errors that no longer hold (the store or the app is back). */
  forgetErrors(stale: StaleError): void;
}

export const useDevicesStore = create<DevicesState>()((set, get) => {
  // The screen, events and the wizard all reload the list; only the newest answer counts,
  // so a load that set out before a move or a rename cannot put the old list back.
  let refreshSeq = 0;

  const onDevice = async (
    deviceId: string,
    action: DeviceAction,
    call: () => Promise<DeviceSummary[]>,
  ): Promise<boolean> => {
    if (get().busy[deviceId]) return false;
    set((s) => ({
      busy: { ...s.busy, [deviceId]: action },
      deviceErrors: without(s.deviceErrors, deviceId),
    }));
    try {
      const devices = await call();
      refreshSeq += 1;
      set({ devices, loaded: true, loading: false, error: null });
      return true;
    } catch (error) {
      set((s) => ({ deviceErrors: { ...s.deviceErrors, [deviceId]: describeError(error) } }));
      return false;
    } finally {
      set((s) => ({ busy: without(s.busy, deviceId) }));
    }
  };

  return {
    devices: [],
    loaded: false,
    loading: false,
    error: null,
    busy: {},
    deviceErrors: {},
    async refresh() {
      const seq = ++refreshSeq;
      set({ loading: true });
      try {
        const devices = await core.listDevices();
        if (seq === refreshSeq) set({ devices, loaded: true, loading: false, error: null });
      } catch (error) {
        if (seq === refreshSeq) set({ error: describeError(error), loaded: true, loading: false });
      }
    },
    rename: (deviceId, name) => onDevice(deviceId, 'rename', () => core.renameDevice({ deviceId, name })),
    retire: (deviceId) => onDevice(deviceId, 'retire', () => core.retireDevice({ deviceId })),
    clearDeviceError: (deviceId) => set((s) => ({ deviceErrors: without(s.deviceErrors, deviceId) })),
    forgetErrors: (stale) =>
      set((s) => ({
        error: s.error && stale(s.error) ? null : s.error,
        deviceErrors: Object.fromEntries(Object.entries(s.deviceErrors).filter(([, error]) => !stale(error))),
      })),
  };
});
