/**
 * Builds a real Keyport package: the program bundled by esbuild into one `main.mjs`
 * (the shared/ verifier and jose inside it), the provider's JWKS and issuer beside it, and
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
  /**
   * The provider's JWKS with its issuer (GET /v1/licenses/jwks): the program checks both.
   * `unknown`, as fetched JSON is; packProgram refuses one without an issuer.
   */
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

/** The program's TypeScript entry bundled into one ES module (the shared/ verifier and jose inside). */
export async function bundleProgram(source: string, banner: string): Promise<Buffer> {
  // Loaded here, not at the top: packing ready-made files must not need esbuild, which
  // refuses to load in a DOM test environment (the renderer's component tests pack files),
  // and is not shipped with the installed provider (which packs prebuilt bundles).
  const { build } = await import('esbuild');
  const bundle = await build({
    entryPoints: [source],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    legalComments: 'none',
    banner: { js: `// ${banner}` },
  });
  const main = bundle.outputFiles[0];
  if (!main) throw new Error(`esbuild produced nothing for ${source}`);
  return Buffer.from(main.contents);
}

/** The banner line a demo program's bundle starts with. */
export function programBanner(program: { name: string; version: string }): string {
  return `${program.name} ${program.version} — a Keyport demo program`;
}

/** A package from an already-bundled program: the bundle, this provider's JWKS, the manifest. */
export async function packProgram(
  program: Omit<ProgramPackage, 'source'> & { main: Buffer },
): Promise<Buffer> {
  const issuer = (program.jwks as { issuer?: unknown } | null)?.issuer;
  if (typeof issuer !== 'string' || issuer === '') {
    // Such a program would refuse every license; say so now rather than on the user's machine.
    throw new Error(
      `${program.softwareId}: the JWKS names no issuer, so the program could not check its license`,
    );
  }
  return packFiles({
    'keyport.json': JSON.stringify(
      { name: program.name, version: program.version, entry: 'main.mjs' },
      null,
      2,
    ),
    'main.mjs': program.main,
    'jwks.json': JSON.stringify(program.jwks, null, 2),
    'README.txt': `${program.name} ${program.version}\nStart it from the Keyport app; it needs KEYPORT_LICENSE.\n`,
    ...program.extraFiles,
  });
}

export async function buildProgramPackage(program: ProgramPackage): Promise<Buffer> {
  const main = await bundleProgram(program.source, programBanner(program));
  return packProgram({ ...program, main });
}
