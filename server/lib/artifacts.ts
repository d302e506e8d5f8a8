/**
 * Content-addressed artifact storage: a package lives at
 * `<data>/artifacts/sha256/<first two hex>/<sha256>`, written to a temporary file and
 * renamed into place so a reader never sees half a file, and the same bytes are only
 * ever stored once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

export class ArtifactStore {
  constructor(private readonly root: string) {}

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('not a sha256 digest');
    return path.join(this.root, 'sha256', sha256.slice(0, 2), sha256);
  }

  async put(bytes: Buffer): Promise<{ sha256: string; sizeBytes: number }> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const target = this.pathOf(sha256);
    const exists = await stat(target).then(
      (s) => s.size === bytes.length,
      () => false,
    );
    if (!exists) {
      await mkdir(path.dirname(target), { recursive: true });
      const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(temporary, bytes, { mode: 0o644 });
      await rename(temporary, target);
    }
    return { sha256, sizeBytes: bytes.length };
  }
}
