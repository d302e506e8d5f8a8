/**
 * Expands a verified installation file (DESIGN §1 flow 3, S32) into
 * `<installRoot>/<softwareId>`, so that (invariant 6) a failed install leaves the
 * previous one exactly as it was and nothing is ever written outside `installRoot`:
 *
 * 1. every entry is checked with the provider's own rules (shared/archive-safety)
 *    before a single byte is written; one bad entry refuses the whole package;
 * 2. the archive is expanded into a fresh `.staging-<id>-<hex>` folder, with tar's
 *    own path protections on as a second line and every entry compared with what
 *    step 1 approved;
 * 3. modes are made sane, `keyport.json` and its `entry` are checked on disk;
 * 4. the old install is renamed aside (`.old-<id>-<hex>`), staging renamed into place,
 *    the old one removed. A crash in between is repaired by `cleanupInstallLeftovers`.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Dirent } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  stat,
} from 'node:fs/promises';
import path from 'node:path';
import { extract, type ReadEntry } from 'tar';
import { PackageManifest, SoftwareId } from '../../shared/provider-api/schemas.ts';
import {
  ArchiveRefusal,
  DEFAULT_ARCHIVE_LIMITS,
  normaliseEntryPath,
  unsafeEntryReason,
  type ArchiveEntry,
  type ArchiveLimits,
} from '../../shared/packages/archive-safety.ts';
import { AppError } from '../../shared/app-api/app-errors.ts';
import { MANIFEST_NAME, MAX_MANIFEST_BYTES, scanArchive } from '../../shared/packages/package-inspector.ts';

export interface InstalledPackage {
  softwareId: string;
  installDir: string;
  manifest: PackageManifest;
  /** Regular files installed (hard links counted once). */
  files: number;
  bytes: number;
}

export interface InstallOptions {
  archivePath: string;
  installRoot: string;
  softwareId: string;
  /** Called as each archive entry has been written. */
  onProgress?: (done: { entries: number; bytes: number }) => void;
  /** How large the package may expand; the shared defaults unless given. */
  limits?: ArchiveLimits;
}

const MANIFEST = MANIFEST_NAME;
/** Folders this module leaves in `installRoot` while it works: `.<kind>-<softwareId>-<12 hex>`. */
const LEFTOVER = /^\.(staging|old|trash)-([a-z0-9][a-z0-9-]{1,62})-([0-9a-f]{12})$/;
type WorkKind = 'staging' | 'old' | 'trash';

/** The folder a program is installed in. */
export function installDirOf(installRoot: string, softwareId: string): string {
  assertSoftwareId(softwareId);
  return path.join(path.resolve(installRoot), softwareId);
}

export async function installPackage(options: InstallOptions): Promise<InstalledPackage> {
  const { softwareId, archivePath, onProgress } = options;
  const installDir = installDirOf(options.installRoot, softwareId);
  const root = path.dirname(installDir);
  return exclusively(installDir, async () => {
    let staging: string | null = null;
    try {
      const approved = await checkArchive(archivePath, options.limits ?? DEFAULT_ARCHIVE_LIMITS);
      await mkdir(root, { recursive: true });
      staging = await makeWorkDir(root, 'staging', softwareId);
      await expandInto(staging, archivePath, approved, onProgress);
      const tally = await sanitiseTree(staging);
      const manifest = await checkLayout(staging);
      await swapIntoPlace(root, softwareId, staging);
      return { softwareId, installDir, manifest, ...tally };
    } catch (error) {
      if (staging) await rm(staging, { recursive: true, force: true });
      throw asInstallError(error);
    }
  });
}

/** Removes an installed program; false when it was not installed. */
export async function uninstallPackage(installRoot: string, softwareId: string): Promise<boolean> {
  const installDir = installDirOf(installRoot, softwareId);
  return exclusively(installDir, async () => {
    try {
      if (!(await exists(installDir))) return false;
      // Renamed away first, so a crash mid-delete never leaves a half-removed program in place.
      const trash = workDirName(path.dirname(installDir), 'trash', softwareId);
      await rename(installDir, trash);
      await rm(trash, { recursive: true, force: true });
      return true;
    } catch (error) {
      throw new AppError(
        'INSTALL_FAILED',
        `The program could not be removed (${messageOf(error)}). Close it if it is running, then try again.`,
      );
    }
  });
}

/** The installed program's manifest, or null when it is not (properly) installed. */
export async function readInstalledManifest(
  installRoot: string,
  softwareId: string,
): Promise<PackageManifest | null> {
  const installDir = installDirOf(installRoot, softwareId);
  try {
    return await readManifest(installDir);
  } catch {
    return null;
  }
}

/**
 * The real path of the program's entry file. Checked at every launch, not only at
 * install: files on disk can change after that (another program, a user, a bug).
 */
export async function resolveEntryPoint(installed: {
  installDir: string;
  manifest: PackageManifest;
}): Promise<string> {
  const located = await locateEntry(installed.installDir, installed.manifest.entry);
  if (located.kind === 'missing') {
    throw new AppError(
      'NOT_INSTALLED',
      `The program's file ${installed.manifest.entry} is missing. Uninstall and install it again.`,
    );
  }
  if (located.kind !== 'ok') throw entryRefusal(installed.manifest.entry, located.kind);
  return located.path;
}

/**
 * Repairs what a crash may have left in `installRoot`: staging and trash folders are
 * removed; a program renamed aside during a swap is put back if nothing replaced it.
 * Meant for start-up; folders of installs running in this process are left alone.
 */
export async function cleanupInstallLeftovers(installRoot: string): Promise<void> {
  const root = path.resolve(installRoot);
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return; // no install root yet, nothing to clean
  }
  const asideBySoftware = new Map<string, string[]>();
  for (const name of names) {
    const match = LEFTOVER.exec(name);
    if (!match) continue;
    const [, kind, softwareId] = match as unknown as [string, WorkKind, string];
    if (busy.has(path.join(root, softwareId))) continue;
    if (kind === 'old') asideBySoftware.set(softwareId, [...(asideBySoftware.get(softwareId) ?? []), name]);
    else await rm(path.join(root, name), { recursive: true, force: true });
  }
  for (const [softwareId, aside] of asideBySoftware) {
    await restoreOrRemoveAside(root, softwareId, aside);
  }
}

// ── step 1: check every entry before writing anything ─────────────────────

/** What the first pass approved, in archive order. */
type ApprovedEntries = (ArchiveEntry & { size: number })[];

async function checkArchive(archivePath: string, limits: ArchiveLimits): Promise<ApprovedEntries> {
  await assertGzip(archivePath);
  // Streamed, never the whole archive in memory; a bomb is refused once it passes the limit.
  const scan = await scanArchive(createReadStream(archivePath), limits).catch((error: unknown) => {
    if (!(error instanceof ArchiveRefusal) || error.kind === 'damaged') throw damaged(error);
    throw new AppError(
      'UNSAFE_PACKAGE',
      error.kind === 'too-large' ? tooLargeSentence(error.message) : unsafePackageSentence(error.message),
    );
  });
  return scan.entries;
}

async function assertGzip(archivePath: string): Promise<void> {
  const file = await open(archivePath, 'r');
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(2), 0, 2, 0);
    if (bytesRead < 2 || buffer[0] !== 0x1f || buffer[1] !== 0x8b) {
      throw damaged(new Error('it is not a .tar.gz file'));
    }
  } finally {
    await file.close();
  }
}

// ── step 2: expand into staging ───────────────────────────────────────────

async function expandInto(
  staging: string,
  archivePath: string,
  approved: ApprovedEntries,
  onProgress: InstallOptions['onProgress'],
): Promise<void> {
  let index = 0;
  let divergence: string | null = null;
  const done = { entries: 0, bytes: 0 };
  await extract({
    file: archivePath,
    cwd: staging,
    strict: true,
    // tar's own protections stay on: no absolute or `..` paths, nothing through symlinks.
    preservePaths: false,
    preserveOwner: false,
    // Replace rather than write through whatever is already at a path (links included).
    unlink: true,
    maxDepth: 128,
    filter: (_path, entry) => {
      const read = entry as ReadEntry;
      // Defence in depth: the archive must be exactly what the first pass approved.
      const expected = approved[index++];
      if (!expected || !sameEntry(expected, read)) {
        divergence ??= `${read.path}: the archive changed while it was being installed`;
        return false;
      }
      read.mode = saneMode(read.type, read.mode);
      return true;
    },
    onReadEntry: (entry: ReadEntry) => {
      entry.on('end', () => {
        done.entries += 1;
        done.bytes += entry.size;
        try {
          onProgress?.({ ...done });
        } catch {
          // A broken progress listener must not break the install itself.
        }
      });
    },
  }).catch((error: unknown) => {
    throw extractionError(error);
  });
  if (divergence) throw new AppError('UNSAFE_PACKAGE', unsafePackageSentence(divergence));
  if (index !== approved.length) {
    throw new AppError('UNSAFE_PACKAGE', unsafePackageSentence('the archive changed while installing'));
  }
}

/** tar's own refusals (the second line of defence) that mean the package, not the disk, is at fault. */
const TAR_REFUSALS = new Set([
  'TAR_ENTRY_ERROR',
  'TAR_ENTRY_INFO',
  'TAR_SYMLINK_ERROR',
  'TAR_ENTRY_UNSUPPORTED',
]);

function extractionError(error: unknown): AppError {
  const { code, tarCode } = (error ?? {}) as { code?: unknown; tarCode?: unknown };
  if (typeof code === 'string' && TAR_REFUSALS.has(code)) {
    return new AppError('UNSAFE_PACKAGE', unsafePackageSentence(messageOf(error)));
  }
  // A file-system failure keeps its own code (ENOSPC, EACCES…) with tar's code beside it.
  if (typeof code === 'string' && typeof tarCode === 'string' && code !== tarCode) {
    return asInstallError(error);
  }
  return damaged(error);
}

function sameEntry(approved: ApprovedEntries[number], read: ReadEntry): boolean {
  return (
    approved.path === read.path &&
    approved.type === read.type &&
    (approved.linkpath ?? '') === (read.linkpath ?? '') &&
    approved.size === read.size
  );
}

/** No setuid/setgid/sticky bits, nothing writable by others; executables stay executable. */
function saneMode(type: string, mode: number | undefined): number {
  if (type === 'Directory') return 0o755;
  return (mode ?? 0) & 0o111 ? 0o755 : 0o644;
}

// ── step 3: check what landed on disk ─────────────────────────────────────

/**
 * Walks staging: applies sane modes whatever the umask did, refuses anything that is
 * not a file, folder or link pointing inside, and counts files and bytes.
 */
async function sanitiseTree(staging: string): Promise<{ files: number; bytes: number }> {
  const seen = new Set<number>();
  const tally = { files: 0, bytes: 0 };
  const walk = async (dir: string): Promise<void> => {
    const children: Dirent[] = await readdir(dir, { withFileTypes: true });
    for (const child of children) {
      const full = path.join(dir, child.name);
      const info = await lstat(full);
      const relative = path.relative(staging, full);
      if (info.isSymbolicLink()) {
        const target = path.resolve(dir, await readlink(full));
        if (!isInside(staging, target)) {
          throw new AppError('UNSAFE_PACKAGE', unsafePackageSentence(`${relative}: link points outside`));
        }
      } else if (info.isDirectory()) {
        await chmod(full, 0o755);
        await walk(full);
      } else if (info.isFile()) {
        await chmod(full, saneMode('File', info.mode));
        if (!seen.has(info.ino)) {
          seen.add(info.ino);
          tally.files += 1;
          tally.bytes += info.size;
        }
      } else {
        throw new AppError('UNSAFE_PACKAGE', unsafePackageSentence(`${relative}: not a file or folder`));
      }
    }
  };
  await chmod(staging, 0o755);
  await walk(staging);
  return tally;
}

/** The manifest must be a real file at the root and its entry a regular file inside. */
async function checkLayout(staging: string): Promise<PackageManifest> {
  let manifest: PackageManifest;
  try {
    manifest = await readManifest(staging);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError(
      'INSTALL_FAILED',
      `This is not a Keyport package: it has no valid ${MANIFEST} (${messageOf(error)}). Contact the publisher.`,
    );
  }
  const located = await locateEntry(staging, manifest.entry);
  if (located.kind === 'missing') {
    throw new AppError(
      'INSTALL_FAILED',
      `The package names ${manifest.entry} as its program, but that file is not in it. Contact the publisher.`,
    );
  }
  if (located.kind !== 'ok') throw entryRefusal(manifest.entry, located.kind);
  return manifest;
}

async function readManifest(dir: string): Promise<PackageManifest> {
  const file = path.join(dir, MANIFEST);
  const info = await lstat(file);
  if (!info.isFile()) throw new Error(`${MANIFEST} is not a regular file`);
  if (info.size > MAX_MANIFEST_BYTES) throw new Error(`${MANIFEST} is too large`);
  const parsed = PackageManifest.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue?.path.join('.') || 'manifest'}: ${issue?.message ?? 'invalid'}`);
  }
  if (unsafeEntryReason({ path: parsed.data.entry, type: 'File' })) {
    throw entryRefusal(parsed.data.entry, 'outside');
  }
  return { ...parsed.data, entry: normaliseEntryPath(parsed.data.entry) };
}

type Located = { kind: 'ok'; path: string } | { kind: 'missing' | 'outside' | 'not-a-file' };

/** Where `entry` really is (links followed), judged against the real path of `dir`. */
async function locateEntry(dir: string, entry: string): Promise<Located> {
  if (unsafeEntryReason({ path: entry, type: 'File' })) return { kind: 'outside' };
  let realDir: string;
  let target: string;
  try {
    realDir = await realpath(dir);
    target = await realpath(path.join(realDir, normaliseEntryPath(entry)));
  } catch (error) {
    if (isMissing(error)) return { kind: 'missing' };
    throw error;
  }
  if (!isInside(realDir, target) || target === realDir) return { kind: 'outside' };
  if (!(await stat(target)).isFile()) return { kind: 'not-a-file' };
  return { kind: 'ok', path: target };
}

function entryRefusal(entry: string, kind: 'outside' | 'not-a-file' | 'missing'): AppError {
  const why = kind === 'not-a-file' ? 'is not a regular file' : 'points outside its install folder';
  return new AppError(
    'UNSAFE_PACKAGE',
    `The program's entry ${entry} ${why}, so Keyport will not install or run it. Contact the publisher.`,
  );
}

// ── step 4: swap into place ───────────────────────────────────────────────

async function swapIntoPlace(root: string, softwareId: string, staging: string): Promise<void> {
  const installDir = path.join(root, softwareId);
  let aside: string | null = null;
  if (await exists(installDir)) {
    aside = workDirName(root, 'old', softwareId);
    await rename(installDir, aside);
  }
  try {
    await rename(staging, installDir);
  } catch (error) {
    // If even this fails, the aside copy stays and cleanupInstallLeftovers puts it back.
    if (aside) await rename(aside, installDir).catch(() => undefined);
    throw error;
  }
  // Best effort: if this fails, cleanupInstallLeftovers removes it (the new install is in place).
  if (aside) await rm(aside, { recursive: true, force: true }).catch(() => undefined);
}

async function restoreOrRemoveAside(root: string, softwareId: string, aside: string[]): Promise<void> {
  const installDir = path.join(root, softwareId);
  let restore: string | undefined;
  if (!(await exists(installDir))) {
    // A crash between "rename aside" and "rename staging in": the newest aside is the install.
    const dated = await Promise.all(
      aside.map(async (name) => ({ name, at: (await lstat(path.join(root, name))).ctimeMs })),
    );
    restore = dated.sort((a, b) => b.at - a.at)[0]?.name;
    if (restore) await rename(path.join(root, restore), installDir);
  }
  for (const name of aside) {
    if (name !== restore) await rm(path.join(root, name), { recursive: true, force: true });
  }
}

async function makeWorkDir(root: string, kind: WorkKind, softwareId: string): Promise<string> {
  const dir = workDirName(root, kind, softwareId);
  await mkdir(dir, { mode: 0o700 });
  return dir;
}

function workDirName(root: string, kind: WorkKind, softwareId: string): string {
  return path.join(root, `.${kind}-${softwareId}-${randomBytes(6).toString('hex')}`);
}

// ── helpers ───────────────────────────────────────────────────────────────

/** Installs and uninstalls of one program in this process run one at a time. */
const busy = new Map<string, Promise<unknown>>();

async function exclusively<T>(installDir: string, work: () => Promise<T>): Promise<T> {
  const previous = busy.get(installDir) ?? Promise.resolve();
  const current = previous.catch(() => undefined).then(work);
  busy.set(installDir, current);
  try {
    return await current;
  } finally {
    if (busy.get(installDir) === current) busy.delete(installDir);
  }
}

function assertSoftwareId(softwareId: string): void {
  if (!SoftwareId.safeParse(softwareId).success) {
    throw new AppError(
      'BAD_INPUT',
      `"${softwareId}" is not a software ID (lowercase letters, digits and dashes).`,
    );
  }
}

function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function tooLargeSentence(reason: string): string {
  return `Keyport refused to install this package: it expands to more than a package may (${reason}). Contact the publisher.`;
}

function unsafePackageSentence(reason: string): string {
  return `Keyport refused to install this package: it holds an entry that could reach outside its folder or is not allowed (${reason}). Contact the publisher.`;
}

function damaged(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return new AppError(
    'INSTALL_FAILED',
    `The downloaded file is damaged and cannot be unpacked (${messageOf(error)}). Install it again.`,
  );
}

function asInstallError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC') {
    return new AppError('INSTALL_FAILED', 'The disk is full. Free some space, then install again.');
  }
  return new AppError(
    'INSTALL_FAILED',
    `The program could not be installed (${messageOf(error)}). Nothing was changed; try again.`,
  );
}
