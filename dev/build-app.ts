/**
 * Build what `npm start` is about to run, when out/ is missing or older than its sources:
 * the whole Electron app (electron-vite) or, for the web shell, only the renderer (Vite).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { buildRenderer, OUT_DIR, REPO_ROOT, RENDERER_OUT_DIR } from './renderer-build.ts';

export type BuildTarget = 'electron' | 'renderer';

const OUTPUTS: Record<BuildTarget, string[]> = {
  renderer: [path.join(RENDERER_OUT_DIR, 'index.html')],
  electron: [
    path.join(OUT_DIR, 'main', 'index.js'),
    path.join(OUT_DIR, 'preload', 'index.cjs'),
    path.join(RENDERER_OUT_DIR, 'index.html'),
  ],
};

/** Folders and files whose changes call for a rebuild (tests and tools excluded below). */
const SOURCES: Record<BuildTarget, string[]> = {
  renderer: ['renderer', 'shared', 'dev/renderer-build.ts'],
  electron: ['renderer', 'shared', 'electron', 'dev/renderer-build.ts', 'electron.vite.config.ts'],
};

const IGNORED_DIRS = new Set(['node_modules', 'web-shell', 'cli', 'test-support']);

async function newestMtime(entry: string): Promise<number> {
  let info;
  try {
    info = await stat(entry);
  } catch {
    return 0;
  }
  if (info.isFile()) return /\.test\.tsx?$/.test(entry) ? 0 : info.mtimeMs;
  if (!info.isDirectory()) return 0;
  let newest = 0;
  for (const child of await readdir(entry, { withFileTypes: true })) {
    if (child.isDirectory() && IGNORED_DIRS.has(child.name)) continue;
    newest = Math.max(newest, await newestMtime(path.join(entry, child.name)));
  }
  return newest;
}

export async function isBuildStale(target: BuildTarget, root: string = REPO_ROOT): Promise<boolean> {
  let oldestOutput = Infinity;
  for (const output of OUTPUTS[target]) {
    try {
      oldestOutput = Math.min(oldestOutput, (await stat(output)).mtimeMs);
    } catch {
      return true;
    }
  }
  let newestSource = 0;
  for (const source of SOURCES[target])
    newestSource = Math.max(newestSource, await newestMtime(path.join(root, source)));
  return newestSource > oldestOutput;
}

export async function buildApp(target: BuildTarget): Promise<void> {
  if (target === 'renderer') {
    await buildRenderer(RENDERER_OUT_DIR, true);
    return;
  }
  const { build } = await import('electron-vite');
  await build({
    root: REPO_ROOT,
    configFile: path.join(REPO_ROOT, 'electron.vite.config.ts'),
    logLevel: 'warn',
  });
}

/** Builds if needed; says so, since a first build takes a few seconds. */
export async function ensureBuilt(target: BuildTarget, log: (line: string) => void): Promise<void> {
  if (!(await isBuildStale(target))) return;
  log(target === 'electron' ? 'Building the desktop app…' : 'Building the app’s window…');
  await buildApp(target);
}
