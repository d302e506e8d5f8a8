/**
 * Release packages: the same checks the provider makes before publishing
 * (server/lib/package-inspector.ts): a gzip'd tar, every entry safe by
 * shared/archive-safety, and `keyport.json` at the root naming an `entry` file that is
 * in the archive. Refusals are the provider's 400 VALIDATION problems.
 */
import { createHash } from 'node:crypto';
import { Parser, type ReadEntry } from 'tar';
import { PackageManifest } from '../shared/api.ts';
import {
  normaliseEntryPath,
  unsafeEntryReason,
  unsafeLinkReason,
  type ArchiveEntry,
} from '../shared/archive-safety.ts';
import { mockProblem } from './problem.ts';

const MANIFEST = 'keyport.json';
const MAX_MANIFEST_BYTES = 64 * 1024;

export function sha256Hex(bytes: string | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Read the archive's entries and its manifest text, or refuse it as unreadable. */
async function readArchive(
  archive: Buffer,
): Promise<{ entries: ArchiveEntry[]; files: Set<string>; manifestText?: string }> {
  const files = new Set<string>();
  const entries: ArchiveEntry[] = [];
  let manifestText: string | undefined;
  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        entries.push({ path: entry.path, type: entry.type, linkpath: entry.linkpath });
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
    throw mockProblem(
      'VALIDATION',
      `the archive cannot be read: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  return { entries, files, manifestText };
}

export async function inspectPackage(archive: Buffer): Promise<PackageManifest> {
  if (archive.length < 2 || archive[0] !== 0x1f || archive[1] !== 0x8b) {
    throw mockProblem('VALIDATION', 'the release must be a .tar.gz (gzip) archive');
  }
  const { entries, files, manifestText } = await readArchive(archive);
  const unsafe =
    entries.map((entry) => unsafeEntryReason(entry)).find((reason) => reason !== null) ??
    unsafeLinkReason(entries);
  if (unsafe) throw mockProblem('VALIDATION', `unsafe archive entry: ${unsafe}`);
  if (files.size === 0) throw mockProblem('VALIDATION', 'the archive holds no files');
  if (manifestText === undefined)
    throw mockProblem('VALIDATION', `the archive has no ${MANIFEST} at its root`);
  let json: unknown;
  try {
    json = JSON.parse(manifestText);
  } catch {
    throw mockProblem('VALIDATION', `${MANIFEST} is not valid JSON`);
  }
  const manifest = PackageManifest.safeParse(json);
  if (!manifest.success) {
    const issue = manifest.error.issues[0];
    throw mockProblem(
      'VALIDATION',
      `${MANIFEST}: ${issue?.path.join('.') || 'manifest'} ${issue?.message ?? ''}`.trim(),
    );
  }
  const entry = normaliseEntryPath(manifest.data.entry);
  if (unsafeEntryReason({ path: manifest.data.entry, type: 'File' }) || !files.has(entry)) {
    throw mockProblem(
      'VALIDATION',
      `${MANIFEST}: entry "${manifest.data.entry}" is not a file in the archive`,
    );
  }
  return { ...manifest.data, entry };
}
