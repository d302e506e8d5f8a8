/**
 * The install flow (S21–S37): download with resume and a streamed SHA-256 check, install
 * through staging, then license — with progress pushed to the shells and cancelling
 * honoured between steps as well as while bytes flow. Uninstalling takes the key too.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { AppApi, InstallProgress } from '../../../shared/app-api/app-api.ts';
import { AppError } from '../../../shared/app-api/app-errors.ts';
import { limitsDeclaredBy } from '../../../shared/packages/archive-safety.ts';
import type { CoreParts } from '../core-parts.ts';
import { download } from '../downloader.ts';
import { installPackage, uninstallPackage } from '../installer.ts';
import { libraryItem } from './library.ts';

type InstallFlow = Pick<AppApi, 'install' | 'cancelInstall' | 'uninstall'> & {
  /** Abort every install in progress (the core is closing). */
  cancelAll(): void;
};

export function installFlow(parts: CoreParts): InstallFlow {
  const { provider, session, device, copies, licenses, state, events, folders } = parts;
  const installs = new Map<string, AbortController>();

  async function install({ softwareId }: { softwareId: string }) {
    await device.requireEnrolled();
    if (installs.has(softwareId)) {
      throw new AppError('BUSY', `${softwareId} is already being installed. Wait for it to finish.`);
    }
    const controller = new AbortController();
    installs.set(softwareId, controller);
    const progress = (update: Omit<InstallProgress, 'softwareId'>) =>
      events.emit('install-progress', { softwareId, ...update });
    const idle = { receivedBytes: 0, totalBytes: null, bytesPerSecond: 0, etaSeconds: null };
    let archivePath: string | null = null;
    const checkpoint = () => {
      if (controller.signal.aborted)
        throw new AppError('CANCELLED', `Installing ${softwareId} was cancelled.`);
    };
    try {
      const registration = await copies.registeredHere(softwareId);
      if (!registration) {
        throw new AppError(
          'NOT_REGISTERED',
          `${softwareId} is not registered to this device. Buy it, or transfer it here from another device.`,
        );
      }
      checkpoint();
      const { software } = await provider.software(softwareId);
      checkpoint();
      await copies.arrive({ softwareId, copyId: registration.copyId }, software.name);
      const release = software.releases.find((r) => r.version === software.version);
      progress({ phase: 'downloading', ...idle, totalBytes: release?.sizeBytes ?? null });

      archivePath = path.join(folders.downloads, softwareId, `${software.version}.tar.gz`);
      await dropStaleDownloads(archivePath);
      const downloaded = await download({
        url: provider.downloadUrl(softwareId, device.id),
        headers: provider.authHeaders(),
        destination: archivePath,
        expectedSha256: release?.sha256,
        signal: controller.signal,
        fetch: parts.dependencies.fetch,
        onProgress: (p) => progress({ phase: 'downloading', ...p }),
      });
      // The SHA-256 was checked as the bytes streamed in: the next phase is the install.
      const done = { receivedBytes: downloaded.sizeBytes, totalBytes: downloaded.sizeBytes };
      progress({ phase: 'installing', ...done, bytesPerSecond: 0, etaSeconds: 0 });
      checkpoint();
      const installed = await installPackage({
        archivePath,
        installRoot: folders.apps,
        softwareId,
        limits: limitsDeclaredBy(release ?? {}),
      });
      await state.update((current) => {
        const copy = current.copies[softwareId];
        if (copy) {
          copy.installed = {
            version: installed.manifest.version,
            installDir: installed.installDir,
            entry: installed.manifest.entry,
            installedAt: parts.now().toISOString(),
          };
        }
      });
      progress({ phase: 'licensing', ...done, bytesPerSecond: 0, etaSeconds: 0 });
      await session.authenticated(() => licenses.acquire(softwareId));
      progress({ phase: 'done', ...done, bytesPerSecond: 0, etaSeconds: 0 });
      events.emit('library-changed', { reason: `installed ${softwareId}` });
      return libraryItem(parts, softwareId, registration);
    } catch (error) {
      const cancelled = error instanceof AppError && error.code === 'CANCELLED';
      progress({
        phase: cancelled ? 'cancelled' : 'failed',
        ...idle,
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    } finally {
      installs.delete(softwareId);
      if (archivePath) await rm(archivePath, { force: true });
    }
  }

  async function uninstall({ softwareId }: { softwareId: string }) {
    if (installs.has(softwareId)) {
      throw new AppError('BUSY', `${softwareId} is being installed. Cancel that first.`);
    }
    const copy = state.copy(softwareId);
    await uninstallPackage(folders.apps, softwareId);
    // The key goes with the program: a fresh one is issued on the next install.
    await licenses.forget(softwareId);
    if (copy) {
      await state.update((current) => {
        const entry = current.copies[softwareId];
        if (entry) entry.installed = null;
      });
    }
    events.emit('library-changed', { reason: `uninstalled ${softwareId}` });
    return libraryItem(parts, softwareId, null);
  }

  return {
    install,
    async cancelInstall({ softwareId }) {
      installs.get(softwareId)?.abort();
    },
    uninstall,
    cancelAll() {
      for (const controller of installs.values()) controller.abort();
    },
  };
}

/** A partial download of an older release can never be resumed: remove it. */
async function dropStaleDownloads(keep: string): Promise<void> {
  const folder = path.dirname(keep);
  await mkdir(folder, { recursive: true });
  for (const name of await readdir(folder)) {
    if (!name.startsWith(path.basename(keep))) await rm(path.join(folder, name), { force: true });
  }
}
