/**
 * The library: copies the user owns, where each one is, and what is happening to it here
 * (install progress pushed by the app, runs and their output, per-copy errors), plus
 * checking with the provider for copies that moved while the window was not looking.
 * What happens to a copy is kept in one record per copy, so its parts change together.
 */
import { create } from 'zustand';
import type { InstallProgress, LibraryItem, RunLog, RunResult, SyncReport } from '@shared/app-api/app-api.ts';
import { core } from '../core.ts';
import { describeError, type ShownError, type StaleError } from '../errors.ts';
import { patched, withoutStaleErrors } from './records.ts';

/** What is being done to a copy right now. The sidebar counts the `install`s. */
export type CopyAction = 'install' | 'run' | 'uninstall' | 'cancel';

/** What is happening to one copy on this device; a missing field (or record) means nothing is. */
export interface CopyActivity {
  /** The install's newest progress, while it downloads and unpacks. */
  progress?: InstallProgress;
  busy?: CopyAction;
  /** How the last run went, until it is dismissed or the copy uninstalled. */
  run?: RunResult;
  error?: ShownError;
  /** Which action `error` came from, so "Try again" repeats that one. */
  failedAction?: CopyAction;
  /** The user cancelled the last install: said calmly, not as an error. */
  cancelled?: true;
  /** Whether the program has a run log here (so "Open log" has something to open); unset until asked. */
  hasLog?: boolean;
}

/** The activity of a copy nothing is happening to; one object, so selectors keep returning the same one. */
const IDLE: CopyActivity = Object.freeze({});

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
  /** By software ID; only copies something is happening to (or is known about) have one. */
  copies: Record<string, CopyActivity>;
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
  /** Drop the errors that no longer hold (the store or the app is back). */
  forgetErrors(stale: StaleError): void;
}

const isCode = (error: unknown, code: string): boolean => describeError(error).code === code;

/** Selects one copy's activity, the same empty one for a copy nothing is happening to. */
export const copyActivity =
  (softwareId: string) =>
  (state: LibraryState): CopyActivity =>
    state.copies[softwareId] ?? IDLE;

export const useLibraryStore = create<LibraryState>()((set, get) => {
  // Events, the wizard and this screen all reload the library; only the newest answer counts.
  let refreshSeq = 0;

  const replaceItem = (item: LibraryItem) =>
    set((state) => ({
      items: state.items.some((i) => i.softwareId === item.softwareId)
        ? state.items.map((i) => (i.softwareId === item.softwareId ? item : i))
        : [...state.items, item],
    }));

  const copy = (softwareId: string): CopyActivity => copyActivity(softwareId)(get());

  /** Changes one copy's record; a field given as `undefined` is cleared. */
  const patchCopy = (softwareId: string, patch: CopyActivity) =>
    set((state) => ({ copies: patched(state.copies, softwareId, patch) }));

  const setItemError = (softwareId: string, action: CopyAction, error: unknown) =>
    patchCopy(softwareId, { error: describeError(error), failedAction: action });

  /** Starts one action on a copy, unless another is under way; false when it did not start. */
  const begin = (softwareId: string, action: CopyAction): boolean => {
    if (copy(softwareId).busy) return false;
    patchCopy(softwareId, { busy: action, error: undefined, failedAction: undefined, cancelled: undefined });
    return true;
  };

  /** Ends the action, if it is still one of these (a cancel takes over from its install). */
  const finish = (softwareId: string, ...actions: CopyAction[]) => {
    const { busy } = copy(softwareId);
    if (busy && actions.includes(busy)) patchCopy(softwareId, { busy: undefined });
  };

  /** Which programs have a log here: asked once per program, since the answer only grows. */
  const probeLogs = async (items: LibraryItem[]) => {
    const unknown = items.filter(
      // Only installed copies on this device offer "Open log" from their row.
      (item) => copy(item.softwareId).hasLog === undefined && item.installed && isOnThisDevice(item),
    );
    await Promise.all(
      unknown.map(async ({ softwareId }) => {
        const log = await core.readRunLog({ softwareId }).catch(() => null);
        // A run meanwhile may have made a log already; the answer only grows.
        patchCopy(softwareId, { hasLog: copy(softwareId).hasLog === true || log !== null });
      }),
    );
  };

  return {
    items: [],
    loaded: false,
    refreshing: false,
    error: null,
    copies: {},
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
        patchCopy(softwareId, { progress: undefined });
        return;
      }
      patchCopy(softwareId, { progress });
      // Cancel pressed before the app had started the download: ask again now it has.
      if (copy(softwareId).busy === 'cancel') void core.cancelInstall({ softwareId }).catch(() => undefined);
    },

    async install(softwareId) {
      if (!begin(softwareId, 'install')) return;
      patchCopy(softwareId, { progress: undefined });
      try {
        replaceItem(await core.install({ softwareId }));
      } catch (error) {
        // Cancelling is something the user did, not something that went wrong.
        if (isCode(error, 'CANCELLED')) patchCopy(softwareId, { cancelled: true });
        else setItemError(softwareId, 'install', error);
      } finally {
        patchCopy(softwareId, { progress: undefined });
        finish(softwareId, 'install', 'cancel');
      }
    },

    async cancelInstall(softwareId) {
      if (copy(softwareId).busy !== 'install') return;
      // The install call still owns the copy until it returns; it clears `busy` then.
      patchCopy(softwareId, { busy: 'cancel' });
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
        patchCopy(softwareId, { run: undefined });
      } catch (error) {
        setItemError(softwareId, 'uninstall', error);
      } finally {
        finish(softwareId, 'uninstall');
      }
    },

    async run(softwareId) {
      if (!begin(softwareId, 'run')) return;
      patchCopy(softwareId, { run: undefined });
      try {
        const run = await core.run({ softwareId });
        patchCopy(softwareId, { run, hasLog: true });
      } catch (error) {
        setItemError(softwareId, 'run', error);
      } finally {
        finish(softwareId, 'run');
      }
    },

    clearRun: (softwareId) => patchCopy(softwareId, { run: undefined }),

    async retry(softwareId) {
      const action = copy(softwareId).failedAction;
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

    forgetErrors(stale) {
      const unlessStale = (error: ShownError | null) => (error && stale(error) ? null : error);
      set((state) => ({
        error: unlessStale(state.error),
        syncError: unlessStale(state.syncError),
        // "Try again" under an error repeats its action; with the error gone, so is that.
        copies: withoutStaleErrors(state.copies, stale, ['failedAction']),
      }));
    },
  };
});
