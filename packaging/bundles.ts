/**
 * The JavaScript the packages ship, made by esbuild (platform node, ESM) from the
 * checkout's TypeScript: the app + CLI in one file, the provider in another, the demo
 * programs already bundled (the installed provider has no esbuild), and the renderer
 * built by Vite. Native modules stay outside (see native-modules.ts).
 */
import { realpathSync } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { buildRenderer } from '../dev/renderer-build.ts';
import { DEMO_CATALOG, demoProgramSource } from '../server/seed/demo.ts';
import { bundleProgram, programBanner } from '../server/seed/package-builder.ts';
import { REPO_ROOT } from './paths.ts';

/**
 * CommonJS dependencies call `require` and read `__dirname`; in an ES module bundle both
 * must be made. `__dirname` then names the bundle's folder (see keepPackageDirname).
 */
const ESM_BANNER = [
  "import { createRequire as __keyportCreateRequire } from 'node:module';",
  "import { dirname as __keyportDirname } from 'node:path';",
  "import { fileURLToPath as __keyportFileUrlToPath } from 'node:url';",
  'const require = __keyportCreateRequire(import.meta.url);',
  'const __filename = __keyportFileUrlToPath(import.meta.url);',
  'const __dirname = __keyportDirname(__filename);',
].join('\n');

/**
 * A package that finds its own files through `__dirname` (swagger-ui's page and logo)
 * gets, instead, its folder under `<bundle dir>/<name>/`, where its assets are copied.
 */
function keepPackageDirname(name: string): Plugin {
  // esbuild reports real paths, so a node_modules reached through a link must be too.
  const packageRoot = realpathSync(path.join(REPO_ROOT, 'node_modules', name));
  return {
    name: `keep-dirname:${name}`,
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, async (args) => {
        if (!args.path.startsWith(packageRoot + path.sep)) return undefined;
        const relativeDir = path.relative(packageRoot, path.dirname(args.path));
        const contents = (await readFile(args.path, 'utf8')).replaceAll(
          '__dirname',
          `require('node:path').join(__dirname, ${JSON.stringify(path.posix.join(path.basename(name), relativeDir.split(path.sep).join('/')))})`,
        );
        return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
      });
    },
  };
}

async function bundle(entry: string, outfile: string, options: { external: string[]; plugins?: Plugin[] }) {
  const result = await build({
    entryPoints: [path.join(REPO_ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    external: options.external,
    plugins: options.plugins ?? [],
    banner: { js: ESM_BANNER },
    legalComments: 'eof',
    logLevel: 'warning',
    metafile: true,
  });
  return result.metafile;
}

/** The desktop app and the CLI: `/opt/keyport/lib/keyport.mjs` and the renderer beside lib/. */
export async function bundleApp(root: string): Promise<void> {
  await bundle('electron/cli/keyport.ts', path.join(root, 'lib', 'keyport.mjs'), {
    external: ['@napi-rs/keyring'],
  });
  await buildRenderer(path.join(root, 'renderer'), true);
}

/** The provider, its demo programs, and the API docs page's static files. */
export async function bundleProvider(root: string): Promise<void> {
  const lib = path.join(root, 'lib');
  await bundle('server/main.ts', path.join(lib, 'provider.mjs'), {
    // better-sqlite3 is shipped as a module; pg's optional native driver is never used;
    // esbuild is only for bundling demo programs from source, which the package does not do.
    external: ['better-sqlite3', 'pg-native', 'esbuild'],
    plugins: [keepPackageDirname('@fastify/swagger-ui')],
  });
  await cp(
    path.join(REPO_ROOT, 'node_modules', '@fastify', 'swagger-ui', 'static'),
    path.join(lib, 'swagger-ui', 'static'),
    { recursive: true },
  );
  const programs = path.join(lib, 'demo-programs');
  await mkdir(programs, { recursive: true });
  for (const program of DEMO_CATALOG) {
    const main = await bundleProgram(demoProgramSource(program.softwareId), programBanner(program));
    await writeFile(path.join(programs, `${program.softwareId}.mjs`), main);
  }
}
