/**
 * The library: copies the user owns, where each one is, and what is happening to it here
 * (install progress pushed by the app, the last run's output, per-copy errors).
 */
import { create } from 'zustand';
import type { InstallProgress, LibraryItem, RunResult } from '../../../shared/client-api.ts';
import { client } from '../client.ts';
import { describeError, type ShownError } from '../errors.ts';

export type CopyAction = 'install' | 'run' | 'uninstall' | 'cancel';

interface LibraryState {
  items: LibraryItem[];
  loaded: boolean;
  error: ShownError | null;
  progress: Record<string, InstallProgress>;
  busy: Record<string, CopyAction>;
  runs: Record<string, RunResult>;
  itemErrors: Record<string, ShownError>;
  refresh(): Promise<void>;
  clear(): void;
  applyProgress(progress: InstallProgress): void;
  install(softwareId: string): Promise<void>;
  cancelInstall(softwareId: string): Promise<void>;
  uninstall(softwareId: string): Promise<void>;
  run(softwareId: string): Promise<void>;
}

const without = <T>(record: Record<string, T>, key: string): Record<string, T> => {
  const next = { ...record };
  delete next[key];
  return next;
};

export const useLibraryStore = create<LibraryState>()((set, get) => {
  const replaceItem = (item: LibraryItem) =>
    set((state) => ({
      items: state.items.some((i) => i.softwareId === item.softwareId)
        ? state.items.map((i) => (i.softwareId === item.softwareId ? item : i))
        : [...state.items, item],
    }));

  /** One action per copy at a time; its error stays with the copy. */
  const onCopy = async (softwareId: string, action: CopyAction, work: () => Promise<void>) => {
    if (get().busy[softwareId] && action !== 'cancel') return;
    set((state) => ({
      busy: { ...state.busy, [softwareId]: action },
      itemErrors: without(state.itemErrors, softwareId),
    }));
    try {
      await work();
    } catch (error) {
      set((state) => ({ itemErrors: { ...state.itemErrors, [softwareId]: describeError(error) } }));
    } finally {
      set((state) => ({
        busy: state.busy[softwareId] === action ? without(state.busy, softwareId) : state.busy,
      }));
    }
  };

  return {
    items: [],
    loaded: false,
    error: null,
    progress: {},
    busy: {},
    runs: {},
    itemErrors: {},
    async refresh() {
      try {
        set({ items: await client.getLibrary(), loaded: true, error: null });
      } catch (error) {
        set({ error: describeError(error), loaded: true });
      }
    },
    clear: () => set({ items: [], loaded: false, error: null, progress: {}, runs: {}, itemErrors: {} }),
    applyProgress: (progress) =>
      set((state) => ({ progress: { ...state.progress, [progress.softwareId]: progress } })),
    install: (softwareId) =>
      onCopy(softwareId, 'install', async () => {
        try {
          replaceItem(await client.install({ softwareId }));
        } finally {
          // The result (or the error) now says how it ended; the bar has done its job.
          set((state) => ({ progress: without(state.progress, softwareId) }));
        }
      }),
    cancelInstall: (softwareId) => onCopy(softwareId, 'cancel', () => client.cancelInstall({ softwareId })),
    uninstall: (softwareId) =>
      onCopy(softwareId, 'uninstall', async () => {
        replaceItem(await client.uninstall({ softwareId }));
        set((state) => ({ runs: without(state.runs, softwareId) }));
      }),
    run: (softwareId) =>
      onCopy(softwareId, 'run', async () => {
        const result = await client.run({ softwareId });
        set((state) => ({ runs: { ...state.runs, [softwareId]: result } }));
      }),
  };
});
