/**
 * The native modules the packages need, and nothing else from node_modules:
 * - the app: `@napi-rs/keyring` (N-API, so the prebuilt binary npm installed for this
 *   platform runs on any Node, the bundled one included);
 * - the provider: `better-sqlite3` (not N-API: compiled here against the bundled Node's
 *   own headers, cached per version pair) and its two small loader packages.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { NodeRuntime } from './node-runtime.ts';
import { CACHE_DIR, REPO_ROOT, step } from './paths.ts';

const MODULES = path.join(REPO_ROOT, 'node_modules');
const require = createRequire(import.meta.url);

function versionOf(name: string): string {
  return (require(path.join(MODULES, name, 'package.json')) as { version: string }).version;
}

/** Copies the named files of an installed package (no tests, sources or nested node_modules). */
async function copyPackage(name: string, into: string, files: string[]): Promise<void> {
  const from = path.join(MODULES, name);
  const to = path.join(into, 'node_modules', name);
  await mkdir(to, { recursive: true });
  for (const file of files) {
    if (!existsSync(path.join(from, file))) continue;
    await cp(path.join(from, file), path.join(to, file), { recursive: true });
  }
}

export async function copyKeyringModule(libDir: string): Promise<void> {
  const platformPackage = '@napi-rs/keyring-linux-x64-gnu';
  await copyPackage('@napi-rs/keyring', libDir, ['package.json', 'index.js', 'LICENSE']);
  const binaries = (await readdir(path.join(MODULES, platformPackage))).filter((f) => f.endsWith('.node'));
  if (binaries.length === 0) throw new Error(`${platformPackage} holds no .node binary; run npm ci`);
  await copyPackage(platformPackage, libDir, [
    'package.json',
    'LICENSE',
    'LICENSE.third-party.md',
    ...binaries,
  ]);
}

function nodeGypScript(): string {
  const candidates = [
    () => require.resolve('node-gyp/bin/node-gyp.js'),
    // npm ships one of its own.
    () =>
      path.join(
        path.dirname(path.dirname(process.execPath)),
        'lib',
        'node_modules',
        'npm',
        'node_modules',
        'node-gyp',
        'bin',
        'node-gyp.js',
      ),
  ];
  for (const candidate of candidates) {
    try {
      const file = candidate();
      if (existsSync(file)) return file;
    } catch {
      // the next one
    }
  }
  throw new Error('node-gyp is not installed (npm ci installs it with electron-builder)');
}

function withoutNpmConfig(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !/^npm_config_/i.test(name)));
}

/** better-sqlite3 compiled for the bundled Node, in the cache; returns the .node file. */
async function betterSqliteBinary(runtime: NodeRuntime): Promise<string> {
  const version = versionOf('better-sqlite3');
  const buildDir = path.join(CACHE_DIR, `better-sqlite3-${version}-node-${runtime.version}`);
  const binary = path.join(buildDir, 'build', 'Release', 'better_sqlite3.node');
  if (existsSync(binary)) return binary;
  step(`compiling better-sqlite3 ${version} for Node ${runtime.version} (about a minute, once per machine)…`);
  await rm(buildDir, { recursive: true, force: true });
  await mkdir(buildDir, { recursive: true });
  for (const part of ['binding.gyp', 'deps', 'src', 'package.json'])
    await cp(path.join(MODULES, 'better-sqlite3', part), path.join(buildDir, part), { recursive: true });
  const compiled = spawnSync(
    runtime.binary,
    [
      nodeGypScript(),
      'rebuild',
      '--release',
      `--nodedir=${runtime.root}`,
      '-j',
      String(os.availableParallelism()),
    ],
    // Not npm's settings: under `npm run`, npm_config_nodedir (this machine's Node headers)
    // would win over --nodedir and build for the wrong Node.
    { cwd: buildDir, encoding: 'utf8', env: withoutNpmConfig(process.env), maxBuffer: 64 * 1024 * 1024 },
  );
  if (compiled.status !== 0) {
    const tail = `${compiled.stdout}${compiled.stderr}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(
      `better-sqlite3 did not compile for Node ${runtime.version} (it needs python3, make and g++):\n${tail}`,
    );
  }
  return binary;
}

export async function copySqliteModule(libDir: string, runtime: NodeRuntime): Promise<void> {
  const binary = await betterSqliteBinary(runtime);
  await copyPackage('better-sqlite3', libDir, ['package.json', 'lib', 'LICENSE']);
  const release = path.join(libDir, 'node_modules', 'better-sqlite3', 'build', 'Release');
  await mkdir(release, { recursive: true });
  await cp(binary, path.join(release, 'better_sqlite3.node'));
  await copyPackage('bindings', libDir, ['package.json', 'bindings.js', 'LICENSE.md']);
  await copyPackage('file-uri-to-path', libDir, ['package.json', 'index.js', 'LICENSE']);
  // It must load in the Node that ships with it (a wrong ABI fails here, not on a user's machine).
  execFileSync(
    runtime.binary,
    ['-e', "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"],
    { cwd: libDir, stdio: 'inherit' },
  );
}
