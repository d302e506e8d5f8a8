/**
 * Reads a release upload before it is published: it must be a gzip'd tar whose
 * entries are all safe (shared/archive-safety) and whose root holds `keyport.json`
 * naming an `entry` file that is in the archive.
 */
import { Parser, type ReadEntry } from 'tar';
import { PackageManifest } from './api.ts';
import {
  normaliseEntryPath,
  unsafeEntryReason,
  unsafeLinkReason,
  type ArchiveEntry,
} from './archive-safety.ts';
import { problem } from './problem.ts';

const MANIFEST = 'keyport.json';
const MAX_MANIFEST_BYTES = 64 * 1024;

export async function inspectPackage(archive: Buffer): Promise<PackageManifest> {
  if (archive.length < 2 || archive[0] !== 0x1f || archive[1] !== 0x8b) {
    throw problem('VALIDATION', 'the release must be a .tar.gz (gzip) archive');
  }
  const files = new Set<string>();
  const entries: ArchiveEntry[] = [];
  let manifestText: string | undefined;
  let unsafe: string | undefined;

  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        const described = { path: entry.path, type: entry.type, linkpath: entry.linkpath };
        entries.push(described);
        unsafe ??= unsafeEntryReason(described) ?? undefined;
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
    parser.on('error', reject);
    parser.on('end', resolve);
    parser.on('close', resolve);
    parser.end(archive);
  }).catch((error: unknown) => {
    throw problem(
      'VALIDATION',
      `the archive cannot be read: ${error instanceof Error ? error.message : error}`,
    );
  });

  unsafe ??= unsafeLinkReason(entries) ?? undefined;
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
