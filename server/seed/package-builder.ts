/**
 * Builds a real Keyport package: the program bundled by esbuild into one `main.mjs`
 * (the shared/ verifier and jose inside it), the provider's JWKS beside it, and
 * `keyport.json` naming the entry — as a reproducible `.tar.gz` (fixed mtimes, no
 * owner names), so the same program and keys always give the same SHA-256.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { create } from 'tar';

export interface ProgramPackage {
  softwareId: string;
  name: string;
  version: string;
  /** The program's TypeScript entry file. */
  source: string;
  jwks: unknown;
  /** Data files shipped beside the program (e.g. a large asset). */
  extraFiles?: Record<string, string | Buffer>;
}

/** Pack `files` (name → contents) into a reproducible .tar.gz. */
export async function packFiles(files: Record<string, string | Buffer>): Promise<Buffer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'keyport-pack-'));
  try {
    for (const [name, contents] of Object.entries(files)) {
      await writeFile(path.join(dir, name), contents, { mode: name.endsWith('.mjs') ? 0o755 : 0o644 });
    }
    const chunks: Buffer[] = [];
    const stream = create(
      { gzip: true, cwd: dir, portable: true, mtime: new Date(0) },
      Object.keys(files).sort(),
    );
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function buildProgramPackage(program: ProgramPackage): Promise<Buffer> {
  // Loaded here, not at the top: packing ready-made files must not need esbuild, which
  // refuses to load in a DOM test environment (the renderer's component tests pack files).
  const { build } = await import('esbuild');
  const bundle = await build({
    entryPoints: [program.source],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    legalComments: 'none',
    banner: { js: `// ${program.name} ${program.version} — a Keyport demo program` },
  });
  const main = bundle.outputFiles[0];
  if (!main) throw new Error(`esbuild produced nothing for ${program.source}`);
  return packFiles({
    'keyport.json': JSON.stringify(
      { name: program.name, version: program.version, entry: 'main.mjs' },
      null,
      2,
    ),
    'main.mjs': Buffer.from(main.contents),
    'jwks.json': JSON.stringify(program.jwks, null, 2),
    'README.txt': `${program.name} ${program.version}\nStart it from the Keyport app; it needs KEYPORT_LICENSE.\n`,
    ...program.extraFiles,
  });
}
