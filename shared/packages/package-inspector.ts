/**
 * Reads a package (`.tar.gz`) as it streams in, without writing anything: the one check
 * both the provider (before publishing) and the app (before expanding) make, so a
 * package the provider accepts is one every app will install. Every entry must be safe
 * (archive-safety), the archive unambiguous and within its limits (tar-headers), and
 * its root must hold `keyport.json` naming an `entry` file that is in the archive.
 */
import { once } from 'node:events';
import { createGunzip } from 'node:zlib';
import { PackageManifest } from '../provider-api/schemas.ts';
import {
  ArchiveRefusal,
  normaliseEntryPath,
  unsafeEntryReason,
  unsafeLinkReason,
  type ArchiveEntry,
  type ArchiveLimits,
} from './archive-safety.ts';
import { StrictTarReader, type TarEntry } from './tar-headers.ts';

/** The manifest every package carries at its root. */
export const MANIFEST_NAME = 'keyport.json';
export const MAX_MANIFEST_BYTES = 64 * 1024;
const MANIFEST = MANIFEST_NAME;

export interface ArchiveScan {
  /** Every entry's header, in archive order. */
  entries: (ArchiveEntry & { size: number })[];
  /** Normalised paths of the regular files. */
  files: Set<string>;
  /** The root `keyport.json`, if there is one of a sane size. */
  manifestText: string | undefined;
  /** What the archive expands to: the sum of its entries' sizes. */
  expandedBytes: number;
}

/**
 * Fed the compressed bytes chunk by chunk (with backpressure: await each write), it
 * decompresses them off the main thread (zlib runs on libuv's pool) and reads each
 * header as it arrives, so memory stays bounded whatever the archive's size and a
 * refused archive is refused as soon as the offending header is read. `write` and
 * `end` reject with an ArchiveRefusal.
 */
export class PackageScanner {
  private readonly gunzip = createGunzip();
  private readonly reader: StrictTarReader;
  private readonly scan: ArchiveScan = {
    entries: [],
    files: new Set(),
    manifestText: undefined,
    expandedBytes: 0,
  };
  private head = Buffer.alloc(0);
  /** zlib ends its output by itself at the end of the last gzip member. */
  private readonly inflated: Promise<void>;
  private inflateEnded = false;
  private compressedBytes = 0;
  private failure: Error | undefined;
  private readonly failed: Promise<void>;
  private signalFailure!: () => void;

  constructor(limits: ArchiveLimits) {
    this.reader = new StrictTarReader(limits, (entry) => this.take(entry));
    this.failed = new Promise((resolve) => (this.signalFailure = resolve));
    this.inflated = new Promise((resolve) =>
      this.gunzip.once('end', () => {
        this.inflateEnded = true;
        resolve();
      }),
    );
    this.gunzip.on('data', (chunk: Buffer) => {
      if (this.failure) return;
      try {
        this.reader.write(chunk);
      } catch (error) {
        this.fail(error);
      }
    });
    this.gunzip.on('error', (error) =>
      this.fail(
        this.reader.ended
          ? new ArchiveRefusal('unsafe', 'there is data after the end of the gzip stream')
          : damaged(`it is not valid gzip data (${error.message})`),
      ),
    );
  }

  async write(chunk: Buffer): Promise<void> {
    this.throwIfFailed();
    if (this.head.length < 2) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, 2)]);
      if (this.head.length >= 2 && (this.head[0] !== 0x1f || this.head[1] !== 0x8b)) {
        this.fail(damaged('it is not a .tar.gz (gzip) archive'));
        this.throwIfFailed();
      }
    }
    // zlib drops what follows the last gzip member (zeros, say); extractors do not.
    if (this.inflateEnded)
      this.fail(new ArchiveRefusal('unsafe', 'there is data after the end of the gzip stream'));
    this.throwIfFailed();
    this.compressedBytes += chunk.length;
    if (!this.gunzip.write(chunk)) await Promise.race([once(this.gunzip, 'drain'), this.failed]);
    this.throwIfFailed();
  }

  /** The stream has ended: what the archive holds, once it has all been checked. */
  async end(): Promise<ArchiveScan> {
    this.throwIfFailed();
    if (this.compressedBytes === 0) throw damaged('the archive is empty');
    this.gunzip.end();
    await Promise.race([this.inflated, this.failed]);
    this.throwIfFailed();
    this.reader.end();
    if (this.gunzip.bytesWritten !== this.compressedBytes) {
      throw new ArchiveRefusal('unsafe', 'there is data after the end of the gzip stream');
    }
    const linkProblem = unsafeLinkReason(this.scan.entries);
    if (linkProblem) throw new ArchiveRefusal('unsafe', linkProblem);
    this.scan.expandedBytes = this.reader.totals.expandedBytes;
    return this.scan;
  }

  /** Stops reading; for a caller that gave up on the stream. */
  abandon(): void {
    this.fail(new ArchiveRefusal('damaged', 'the upload was abandoned'));
  }

  private take(entry: TarEntry): ((chunk: Buffer) => void) | void {
    const described = { path: entry.path, type: entry.type, linkpath: entry.linkpath, size: entry.size };
    const reason = unsafeEntryReason(described);
    if (reason) throw new ArchiveRefusal('unsafe', reason);
    this.scan.entries.push(described);
    const name = normaliseEntryPath(entry.path);
    if (entry.type === 'File' || entry.type === 'ContiguousFile') this.scan.files.add(name);
    if (name === MANIFEST && entry.type === 'File' && entry.size <= MAX_MANIFEST_BYTES) {
      const chunks: Buffer[] = [];
      let received = 0;
      return (chunk) => {
        chunks.push(Buffer.from(chunk));
        received += chunk.length;
        if (received === entry.size) this.scan.manifestText = Buffer.concat(chunks).toString('utf8');
      };
    }
    if (name === MANIFEST && entry.size === 0) this.scan.manifestText = '';
  }

  private fail(error: unknown): void {
    if (this.failure) return;
    this.failure =
      error instanceof ArchiveRefusal
        ? error
        : damaged(error instanceof Error ? error.message : String(error));
    this.gunzip.destroy();
    this.signalFailure();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}

/** Scans a whole stream (or buffer) with a PackageScanner. */
export async function scanArchive(
  source: Buffer | AsyncIterable<Buffer>,
  limits: ArchiveLimits,
): Promise<ArchiveScan> {
  const scanner = new PackageScanner(limits);
  if (Buffer.isBuffer(source)) {
    await scanner.write(source);
  } else {
    for await (const chunk of source) await scanner.write(chunk);
  }
  return scanner.end();
}

/**
 * The package's manifest, checked against what the archive holds. Throws an
 * ArchiveRefusal (`unsafe`) with the sentence to show.
 */
export function readPackageManifest(scan: ArchiveScan): PackageManifest {
  const refuse = (message: string) => new ArchiveRefusal('unsafe', message);
  if (scan.files.size === 0) throw refuse('the archive holds no files');
  if (scan.manifestText === undefined) throw refuse(`the archive has no ${MANIFEST} at its root`);
  let json: unknown;
  try {
    json = JSON.parse(scan.manifestText);
  } catch {
    throw refuse(`${MANIFEST} is not valid JSON`);
  }
  const manifest = PackageManifest.safeParse(json);
  if (!manifest.success) {
    const issue = manifest.error.issues[0];
    throw refuse(`${MANIFEST}: ${issue?.path.join('.') || 'manifest'} ${issue?.message ?? ''}`.trim());
  }
  const entry = normaliseEntryPath(manifest.data.entry);
  if (unsafeEntryReason({ path: manifest.data.entry, type: 'File' }) || !scan.files.has(entry)) {
    throw refuse(`${MANIFEST}: entry "${manifest.data.entry}" is not a file in the archive`);
  }
  return { ...manifest.data, entry };
}

function damaged(message: string): ArchiveRefusal {
  return new ArchiveRefusal('damaged', `the archive cannot be read: ${message}`);
}
