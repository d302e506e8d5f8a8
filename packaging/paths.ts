/**
 * Where the Linux packaging reads and writes: the checkout, `dist/` for the packages,
 * and a cache for what takes long to make and never changes for the same inputs (the
 * pinned Node runtime, better-sqlite3 compiled for it, the clean Debian root).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST_DIR = path.join(REPO_ROOT, 'dist');
export const PACKAGING_DIR = path.join(REPO_ROOT, 'packaging');

export const CACHE_DIR =
  process.env.KEYPORT_PACKAGING_CACHE ||
  path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'keyport-packaging');

export function repoPackageJson(): {
  version: string;
  description: string;
  homepage: string;
  author: { name: string; email: string };
} {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
}

/** One line per step, so a long build shows where it is. */
export function step(message: string): void {
  console.log(`package: ${message}`);
}
