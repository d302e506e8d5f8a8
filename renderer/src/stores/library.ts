/**
 * The library: copies the user owns, where each one is, and what is happening to it here
 * (install progress pushed by the app, runs and their output, per-copy errors), plus
 * checking with the provider for copies that moved while the window was not looking.
 */
import { create } from 'zustand';
import type { InstallProgress, LibraryItem, RunLog, RunResult, SyncReport } from '@shared/app-api/app-api.ts';
import { core } from '../core.ts';
import { describeError, type ShownError } from '../errors.ts';
import { without } from './records.ts';

/** What is being done to a copy right now. The sidebar counts the `install`s. */
export type CopyAction = 'install' | 'run' | 'uninstall' | 'cancel';

/** The "Open log" dialog: which program, and its newest log once read. */
export interface LogView {
  softwareId: string;
  loading: boolean;
  /** Null once read means the program never ran on this device. */
  log: RunLog | null;
  error: ShownError | null;
}

/** Coming back to the window checks for changes, but not more often than this. */
export const FOCUS_SYNC_INTERVAL_MS = 30_000;

const ON_THIS_DEVICE: ReadonlySet<LibraryItem['state']> = new Set([
  'ready-to-install',
  'installed',
  'needs-license',
]);

/** Registered here (the library's first section), as opposed to elsewhere or moved away. */
export const isOnThisDevice = (item: LibraryItem): boolean => ON_THIS_DEVICE.has(item.state);

const TERMINAL_PHASES: ReadonlySet<InstallProgress['phase']> = new Set(['done', 'failed', 'cancelled']);

interface LibraryState {
  items: LibraryItem[];
  loaded: boolean;
  /** A refresh is on its way (the first load, or "Try again"). */
  refreshing: boolean;
  error: ShownError | null;
  progress: Record<string, InstallProgress>;
  busy: Record<string, CopyAction>;
  runs: Record<string, RunResult>;
  itemErrors: Record<string, ShownError>;
  /** Which action each of `itemErrors` came from, so "Try again" repeats that one. */
  failedActions: Record<string, CopyAction>;
  /** Installs the user cancelled: said calmly, not as an error. */
  cancelled: Record<string, true>;
  /** Whether a program has a run log on this device (so "Open log" has something to open). */
  hasLog: Record<string, boolean>;
  logView: LogView | null;
  syncing: boolean;
  syncReport: SyncReport | null;
  syncError: ShownError | null;
  /** When the provider was last asked for changes (ms since the epoch; 0 = never). */
  lastSyncAt: number;
  refresh(): Promise<void>;
  applyProgress(progress: InstallProgress): void;
  install(softwareId: string): Promise<void>;
  cancelInstall(softwareId: string): Promise<void>;
  uninstall(softwareId: string): Promise<void>;
  run(softwareId: string): Promise<void>;
  clearRun(softwareId: string): void;
  /** Do again whatever failed on this copy ("Try again" under its error). */
  retry(softwareId: string): Promise<void>;
  /** Open the log dialog on the newest run's log. */
  readLog(softwareId: string): Promise<void>;
  closeLog(): void;
  /** "Check for changes": reconcile with the provider, then reload. */
  sync(): Promise<void>;
  /** The same, quietly and at most every FOCUS_SYNC_INTERVAL_MS, for when the window regains focus. */
  syncIfStale(): Promise<void>;
}

const isCode = (error: unknown, code: string): boolean => describeError(error).code === code;

export const useLibraryStore = create<LibraryState>()((set, get) => {
  // Events, the wizard and this screen all reload the library; only the newest answer counts.
  let refreshSeq = 0;

  const replaceItem = (item: LibraryItem) =>
    set((state) => ({
      items: state.items.some((i) => i.softwareId === item.softwareId)
        ? state.items.map((i) => (i.softwareId === item.softwareId ? item : i))
        : [...state.items, item],
    }));

  const setItemError = (softwareId: string, action: CopyAction, error: unknown) =>
    set((state) => ({
      itemErrors: { ...state.itemErrors, [softwareId]: describeError(error) },
      failedActions: { ...state.failedActions, [softwareId]: action },
    }));

  /** Starts one action on a copy, unless another is under way; false when it did not start. */
  const begin = (softwareId: string, action: CopyAction): boolean => {
    if (get().busy[softwareId]) return false;
    set((state) => ({
      busy: { ...state.busy, [softwareId]: action },
      itemErrors: without(state.itemErrors, softwareId),
      failedActions: without(state.failedActions, softwareId),
      cancelled: without(state.cancelled, softwareId),
    }));
    return true;
  };

  const finish = (softwareId: string, ...actions: CopyAction[]) =>
    set((state) => ({
      busy: actions.includes(state.busy[softwareId]!) ? without(state.busy, softwareId) : state.busy,
    }));

  /** Which programs have a log here: asked once per program, since the answer only grows. */
  const probeLogs = async (items: LibraryItem[]) => {
    const unknown = items.filter(
      // Only installed copies on this device offer "Open log" from their row.
      (item) => get().hasLog[item.softwareId] === undefined && item.installed && isOnThisDevice(item),
    );
    await Promise.all(
      unknown.map(async ({ softwareId }) => {
        const log = await core.readRunLog({ softwareId }).catch(() => null);
        set((state) => ({
          hasLog: { ...state.hasLog, [softwareId]: state.hasLog[softwareId] || log !== null },
        }));
      }),
    );
  };

  return {
    items: [],
    loaded: false,
    refreshing: false,
    error: null,
    progress: {},
    busy: {},
    runs: {},
    itemErrors: {},
    failedActions: {},
    cancelled: {},
    hasLog: {},
    logView: null,
    syncing: false,
    syncReport: null,
    syncError: null,
    lastSyncAt: 0,

    async refresh() {
      const seq = ++refreshSeq;
      set({ refreshing: true });
      try {
        const items = await core.getLibrary();
        if (seq !== refreshSeq) return;
        set({ items, loaded: true, refreshing: false, error: null });
        void probeLogs(items);
      } catch (error) {
        if (seq === refreshSeq) set({ error: describeError(error), loaded: true, refreshing: false });
      }
    },

    applyProgress(progress) {
      const { softwareId } = progress;
      // The end of an install is told by its result; a late terminal event must not
      // leave a bar behind.
      if (TERMINAL_PHASES.has(progress.phase)) {
        set((state) => ({ progress: without(state.progress, softwareId) }));
        return;
      }
      set((state) => ({ progress: { ...state.progress, [softwareId]: progress } }));
      // Cancel pressed before the app had started the download: ask again now it has.
      if (get().busy[softwareId] === 'cancel') void core.cancelInstall({ softwareId }).catch(() => undefined);
    },

    async install(softwareId) {
      if (!begin(softwareId, 'install')) return;
      set((state) => ({ progress: without(state.progress, softwareId) }));
      try {
        replaceItem(await core.install({ softwareId }));
      } catch (error) {
        // Cancelling is something the user did, not something that went wrong.
        if (isCode(error, 'CANCELLED'))
          set((state) => ({ cancelled: { ...state.cancelled, [softwareId]: true } }));
        else setItemError(softwareId, 'install', error);
      } finally {
        set((state) => ({ progress: without(state.progress, softwareId) }));
        finish(softwareId, 'install', 'cancel');
      }
    },

    async cancelInstall(softwareId) {
      if (get().busy[softwareId] !== 'install') return;
      // The install call still owns the copy until it returns; it clears `busy` then.
      set((state) => ({ busy: { ...state.busy, [softwareId]: 'cancel' } }));
      try {
        await core.cancelInstall({ softwareId });
      } catch (error) {
        setItemError(softwareId, 'cancel', error);
      }
    },

    async uninstall(softwareId) {
      if (!begin(softwareId, 'uninstall')) return;
      try {
        replaceItem(await core.uninstall({ softwareId }));
        set((state) => ({ runs: without(state.runs, softwareId) }));
      } catch (error) {
        setItemError(softwareId, 'uninstall', error);
      } finally {
        finish(softwareId, 'uninstall');
      }
    },

    async run(softwareId) {
      if (!begin(softwareId, 'run')) return;
      set((state) => ({ runs: without(state.runs, softwareId) }));
      try {
        const result = await core.run({ softwareId });
        set((state) => ({
          runs: { ...state.runs, [softwareId]: result },
          hasLog: { ...state.hasLog, [softwareId]: true },
        }));
      } catch (error) {
        setItemError(softwareId, 'run', error);
      } finally {
        finish(softwareId, 'run');
      }
    },

    clearRun: (softwareId) => set((state) => ({ runs: without(state.runs, softwareId) })),

    async retry(softwareId) {
      const action = get().failedActions[softwareId];
      if (action === 'install') await get().install(softwareId);
      else if (action === 'cancel') await get().cancelInstall(softwareId);
      else if (action === 'run') await get().run(softwareId);
      else if (action === 'uninstall') await get().uninstall(softwareId);
    },

    async readLog(softwareId) {
      set({ logView: { softwareId, loading: true, log: null, error: null } });
      const stillOpen = () => get().logView?.softwareId === softwareId;
      try {
        const log = await core.readRunLog({ softwareId });
        if (stillOpen()) set({ logView: { softwareId, loading: false, log, error: null } });
      } catch (error) {
        if (stillOpen())
          set({ logView: { softwareId, loading: false, log: null, error: describeError(error) } });
      }
    },

    closeLog: () => set({ logView: null }),

    async sync() {
      if (get().syncing) return;
      set({ syncing: true, syncError: null, syncReport: null, lastSyncAt: Date.now() });
      try {
        const report = await core.sync();
        await get().refresh();
        set({ syncing: false, syncReport: report });
      } catch (error) {
        set({ syncing: false, syncError: describeError(error) });
      }
    },

    async syncIfStale() {
      const { syncing, lastSyncAt } = get();
      if (syncing || Date.now() - lastSyncAt < FOCUS_SYNC_INTERVAL_MS) return;
      set({ syncing: true, lastSyncAt: Date.now() });
      try {
        await core.sync();
        await get().refresh();
      } catch {
        // Nobody asked: being offline is already on screen, and the next focus tries again.
      } finally {
        set({ syncing: false });
      }
    },
  };
});
