/**
 * Reads a release upload before it is published: it must be a gzip'd tar whose
 * entries are all safe (shared/archive-safety) and whose root holds `keyport.json`
 * naming an `entry` file that is in the archive.
 */
import { once } from 'node:events';
import { Parser, type ReadEntry } from 'tar';
import { PackageManifest } from '../provider-api/schemas.ts';
import {
  normaliseEntryPath,
  unsafeEntryReason,
  unsafeLinkReason,
  type ArchiveEntry,
} from './archive-safety.ts';
import { problem } from '../provider-api/problem.ts';

/** The manifest every package carries at its root. */
export const MANIFEST_NAME = 'keyport.json';
export const MAX_MANIFEST_BYTES = 64 * 1024;
const MANIFEST = MANIFEST_NAME;

export function describeEntry(entry: ReadEntry): ArchiveEntry {
  return { path: entry.path, type: entry.type, linkpath: entry.linkpath };
}

export interface ArchiveScan {
  /** Every entry's header, in archive order. */
  entries: ArchiveEntry[];
  /** Normalised paths of the regular files. */
  files: Set<string>;
  /** The root `keyport.json`, if there is one of a sane size. */
  manifestText: string | undefined;
  /** Why the archive is unsafe (the first reason found), or null. */
  unsafe: string | null;
}

/**
 * Read every header of a tar stream (gzip'd or not) without writing anything: the one
 * check both the provider (before publishing) and the app (before expanding) make, so a
 * package the provider accepts is one every app will install. Rejects when the archive
 * cannot be read.
 */
export async function scanArchive(source: Buffer | AsyncIterable<Buffer>): Promise<ArchiveScan> {
  const files = new Set<string>();
  const entries: ArchiveEntry[] = [];
  let manifestText: string | undefined;
  let unsafe: string | null = null;
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      const described = describeEntry(entry);
      entries.push(described);
      unsafe ??= unsafeEntryReason(described);
      const name = normaliseEntryPath(entry.path);
      if (entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile')
        files.add(name);
      if (name === MANIFEST && entry.size <= MAX_MANIFEST_BYTES) {
        const chunks: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
        entry.on('end', () => (manifestText = Buffer.concat(chunks).toString('utf8')));
      } else {
        entry.resume();
      }
    },
  });
  // The parser skips entry types it does not know; nothing may hide from this check.
  parser.on('ignoredEntry', (entry: ReadEntry) => {
    unsafe ??= `${entry.path}: ${entry.type} entries are not allowed`;
  });
  const finished = new Promise<void>((resolve, reject) => {
    parser.on('error', reject);
    parser.on('end', resolve);
    parser.on('close', resolve);
  });
  if (Buffer.isBuffer(source)) {
    parser.end(source);
  } else {
    for await (const chunk of source) {
      if (!parser.write(chunk)) await Promise.race([once(parser, 'drain'), finished]);
    }
    parser.end();
  }
  await finished;
  unsafe ??= unsafeLinkReason(entries);
  return { entries, files, manifestText, unsafe };
}

export async function inspectPackage(archive: Buffer): Promise<PackageManifest> {
  if (archive.length < 2 || archive[0] !== 0x1f || archive[1] !== 0x8b) {
    throw problem('VALIDATION', 'the release must be a .tar.gz (gzip) archive');
  }
  const { files, manifestText, unsafe } = await scanArchive(archive).catch((error: unknown) => {
    throw problem(
      'VALIDATION',
      `the archive cannot be read: ${error instanceof Error ? error.message : error}`,
    );
  });

  if (unsafe) throw problem('VALIDATION', `unsafe archive entry: ${unsafe}`);
  if (files.size === 0) throw problem('VALIDATION', 'the archive holds no files');
  if (manifestText === undefined) throw problem('VALIDATION', `the archive has no ${MANIFEST} at its root`);
  let json: unknown;
  try {
    json = JSON.parse(manifestText);
  } catch {
    throw problem('VALIDATION', `${MANIFEST} is not valid JSON`);
  }
  const manifest = PackageManifest.safeParse(json);
  if (!manifest.success) {
    const issue = manifest.error.issues[0];
    throw problem(
      'VALIDATION',
      `${MANIFEST}: ${issue?.path.join('.') || 'manifest'} ${issue?.message ?? ''}`.trim(),
    );
  }
  const entry = normaliseEntryPath(manifest.data.entry);
  if (unsafeEntryReason({ path: manifest.data.entry, type: 'File' }) || !files.has(entry)) {
    throw problem('VALIDATION', `${MANIFEST}: entry "${manifest.data.entry}" is not a file in the archive`);
  }
  return { ...manifest.data, entry };
}
