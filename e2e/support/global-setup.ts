/** Build the renderer once for the whole run, into a temporary folder (never a stale out/). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildRenderer } from '../../dev/renderer-build.ts';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const outDir = await mkdtemp(path.join(tmpdir(), 'keyport-e2e-renderer-'));
  await buildRenderer(outDir, true);
  process.env.KEYPORT_E2E_RENDERER_DIR = outDir;
  return () => rm(outDir, { recursive: true, force: true });
}
