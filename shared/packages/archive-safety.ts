/**
 * Rules every `.tar.gz` package entry must follow, shared by the provider (which
 * refuses to publish a package that breaks them) and the app's installer (which
 * refuses to expand one): nothing may land, or point, outside the install folder.
 */
import path from 'node:path/posix';

export type EntryKind = 'File' | 'Directory' | 'SymbolicLink' | 'Link' | string;

export interface ArchiveEntry {
  path: string;
  type: EntryKind;
  linkpath?: string;
}

const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

/** The entry's path, normalised and relative to the package root, e.g. `bin/tool`. */
export function normaliseEntryPath(entryPath: string): string {
  return path.normalize(entryPath.replaceAll('\\', '/')).replace(/^\.\//, '').replace(/\/$/, '');
}

/** Why this entry is unsafe, or null when it is fine. */
export function unsafeEntryReason(entry: ArchiveEntry): string | null {
  const raw = entry.path.replaceAll('\\', '/');
  if (!ALLOWED_TYPES.has(entry.type)) return `${entry.path}: ${entry.type} entries are not allowed`;
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) return `${entry.path}: absolute paths are not allowed`;
  if (raw.split('/').includes('..')) return `${entry.path}: ".." is not allowed in paths`;
  if (raw.includes('\0')) return `${entry.path}: NUL in path`;
  const own = normaliseEntryPath(raw);
  if (own === '' || own === '.') return null;
  if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
    const target = (entry.linkpath ?? '').replaceAll('\\', '/');
    if (target === '' || target.startsWith('/') || /^[A-Za-z]:/.test(target)) {
      return `${entry.path}: link to an absolute path (${target || 'empty'}) is not allowed`;
    }
    // Symlink targets are relative to the link's folder; hard-link targets to the root.
    const resolved =
      entry.type === 'SymbolicLink'
        ? path.normalize(path.join(path.dirname(own), target))
        : path.normalize(target);
    if (resolved === '..' || resolved.startsWith('../')) {
      return `${entry.path}: link pointing outside the package (${target}) is not allowed`;
    }
  }
  return null;
}

/**
 * Why the archive's links, taken together, are unsafe, or null when they are fine.
 * Entry by entry a symlink may point inside (`lib -> .`), yet a later entry can climb
 * out through it (`lib/up -> ..` then `lib/up/x`), and a hard link to a symlink copies
 * that symlink into a folder where its target means something else. So no entry path
 * and no link target may pass through a symlink of the archive, and no hard link may
 * name one. Call it with every entry once each has passed `unsafeEntryReason`.
 */
export function unsafeLinkReason(entries: ArchiveEntry[]): string | null {
  const symlinks = new Set(
    entries.filter((e) => e.type === 'SymbolicLink').map((e) => normaliseEntryPath(e.path)),
  );
  if (symlinks.size === 0) return null;
  /** The first symlink a path walks through; its last part may be a symlink itself. */
  const throughSymlink = (parts: string[]): string | undefined => {
    const stack: string[] = [];
    for (const [index, part] of parts.entries()) {
      if (part === '' || part === '.') continue;
      if (part === '..') stack.pop();
      else stack.push(part);
      const here = stack.join('/');
      if (index < parts.length - 1 && symlinks.has(here)) return here;
    }
    return undefined;
  };
  for (const entry of entries) {
    const own = normaliseEntryPath(entry.path);
    const target = (entry.linkpath ?? '').replaceAll('\\', '/');
    const via =
      throughSymlink(own.split('/')) ??
      (entry.type === 'SymbolicLink'
        ? throughSymlink([...path.dirname(own).split('/'), ...target.split('/')])
        : entry.type === 'Link'
          ? throughSymlink(target.split('/'))
          : undefined);
    if (via !== undefined) return `${entry.path}: goes through the symlink ${via}, which is not allowed`;
    if (entry.type === 'Link' && symlinks.has(normaliseEntryPath(target))) {
      return `${entry.path}: hard link to the symlink ${target} is not allowed`;
    }
  }
  return null;
}

/** How large a package may be once expanded; the provider's settings, the app's ceiling. */
export interface ArchiveLimits {
  /** Sum of every entry's size. */
  maxExpandedBytes: number;
  /** Entries of any kind (files, folders, links). */
  maxEntries: number;
  /** One entry's size. */
  maxEntryBytes: number;
}

const MiB = 1024 * 1024;

/**
 * Room for real programs (a game's assets run to gigabytes), none for a bomb: node-tar's
 * only guard, a 1000:1 ratio, let a 3 MiB upload expand to 2 GiB.
 */
export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxExpandedBytes: 1024 * MiB,
  maxEntries: 20_000,
  maxEntryBytes: 512 * MiB,
};

/**
 * The limits an install is held to: exactly what the provider measured when it accepted
 * the release (so a package it accepted under raised limits still installs, and a mirror
 * cannot serve more), or the defaults for a release published before it measured.
 */
export function limitsDeclaredBy(release: {
  expandedBytes?: number | null;
  entryCount?: number | null;
}): ArchiveLimits {
  const { expandedBytes, entryCount } = release;
  if (
    expandedBytes === null ||
    expandedBytes === undefined ||
    entryCount === null ||
    entryCount === undefined
  )
    return DEFAULT_ARCHIVE_LIMITS;
  return { maxExpandedBytes: expandedBytes, maxEntries: entryCount, maxEntryBytes: expandedBytes };
}

/**
 * Why an archive is refused: `unsafe` (it could write outside its folder, or means
 * different things to different extractors), `too-large` (over a limit), `damaged`
 * (it cannot be read as a .tar.gz).
 */
export class ArchiveRefusal extends Error {
  constructor(
    readonly kind: 'unsafe' | 'too-large' | 'damaged',
    message: string,
  ) {
    super(message);
    this.name = 'ArchiveRefusal';
  }
}
