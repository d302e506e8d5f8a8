/**
 * Content-addressed artifact storage: a package lives at
 * `<data>/artifacts/sha256/<first two hex>/<sha256>`. An upload is streamed to a
 * temporary file in `<data>/artifacts/incoming/` (hashed on the way, never whole in
 * memory), made durable, then renamed into place, so a reader never sees half a file
 * and the same bytes are only ever stored once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** An upload on disk, not yet in the store: `keep` moves it in, `discard` deletes it. */
export interface StagedArtifact {
  sha256: string;
  sizeBytes: number;
  keep(): Promise<void>;
  discard(): Promise<void>;
}

export class UploadTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the upload is larger than ${maxBytes} bytes`);
    this.name = 'UploadTooLargeError';
  }
}

export class ArtifactStore {
  constructor(private readonly root: string) {}

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('not a sha256 digest');
    return path.join(this.root, 'sha256', sha256.slice(0, 2), sha256);
  }

  /**
   * Streams `source` to a temporary file, handing each chunk to `inspect` as it goes
   * (awaited, so a slow or refusing inspector holds the upload back or stops it).
   * Over `maxBytes` it stops with an UploadTooLargeError. Nothing is left behind on failure.
   */
  async receive(
    source: AsyncIterable<Buffer> | Iterable<Buffer>,
    options: { maxBytes: number; inspect: (chunk: Buffer) => Promise<void> },
  ): Promise<StagedArtifact> {
    const incoming = path.join(this.root, 'incoming');
    await mkdir(incoming, { recursive: true });
    const temporary = path.join(incoming, `${randomBytes(8).toString('hex')}.upload`);
    const file = await open(temporary, 'wx', 0o644);
    const hash = createHash('sha256');
    let sizeBytes = 0;
    try {
      for await (const chunk of source) {
        sizeBytes += chunk.length;
        if (sizeBytes > options.maxBytes) throw new UploadTooLargeError(options.maxBytes);
        hash.update(chunk);
        await Promise.all([writeAll(file, chunk), options.inspect(chunk)]);
      }
      // Durable before any registry row can point at it.
      await file.datasync();
    } catch (error) {
      await file.close().catch(() => undefined);
      await rm(temporary, { force: true });
      throw error;
    }
    await file.close();
    const sha256 = hash.digest('hex');
    const target = this.pathOf(sha256);
    return {
      sha256,
      sizeBytes,
      keep: async () => {
        const stored = await stat(target).then(
          (s) => s.size === sizeBytes,
          () => false,
        );
        if (stored) return rm(temporary, { force: true });
        await mkdir(path.dirname(target), { recursive: true });
        await rename(temporary, target);
      },
      discard: () => rm(temporary, { force: true }),
    };
  }
}

/** FileHandle.write may write less than asked; a short write must not corrupt a package. */
async function writeAll(file: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await file.write(chunk, offset);
    offset += bytesWritten;
  }
}
