/**
 * `npm run dist` (installers) and `npm run build:app` (`--dir`: an unpacked app): the
 * Electron installers for this platform with electron-builder (electron-builder.yml) —
 * AppImage and deb on Linux, NSIS on Windows, dmg on macOS.
 *
 * electron-builder needs Electron's own build for the target. Where none is here and its
 * download server cannot be reached, this stops at once with one sentence, instead of
 * electron-builder retrying a download for a minute. Found, in this order: ELECTRON_DIST
 * (an unpacked Electron), the electron package's dist/ (`npx install-electron`), the
 * download cache electron-builder uses, a reachable download server.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { findElectronBinary } from '../dev/electron-binary.ts';
import { makeIcons } from './icons.ts';
import { REPO_ROOT, step } from './paths.ts';

function electronVersion(): string {
  // package.json only: the electron package's index.js would start a download.
  return (createRequire(import.meta.url)('electron/package.json') as { version: string }).version;
}

/** Where @electron/get keeps its downloads (it nests them in hashed folders). */
function electronCacheDir(env = process.env): string {
  if (env.ELECTRON_CACHE) return env.ELECTRON_CACHE;
  if (process.platform === 'darwin') return path.join(homedir(), 'Library', 'Caches', 'electron');
  if (process.platform === 'win32')
    return path.join(env.LOCALAPPDATA ?? path.join(homedir(), 'AppData', 'Local'), 'electron', 'Cache');
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'electron');
}

function cachedZip(dir: string, name: string, depth = 2): boolean {
  if (!existsSync(dir)) return false;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && entry.name === name) return true;
    if (entry.isDirectory() && depth > 0 && cachedZip(path.join(dir, entry.name), name, depth - 1))
      return true;
  }
  return false;
}

async function downloadReachable(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'HEAD',
      redirect: 'manual',
      signal: AbortSignal.timeout(5000),
    });
    return response.status < 500;
  } catch {
    return false;
  }
}

/** Extra electron-builder options for where Electron was found, or why it cannot be. */
export async function locateElectron(
  version: string,
  env = process.env,
): Promise<{ args: string[]; from: string } | { missing: string }> {
  if (env.ELECTRON_DIST) return { args: [`-c.electronDist=${env.ELECTRON_DIST}`], from: env.ELECTRON_DIST };
  const binary = findElectronBinary({ env });
  if ('path' in binary) {
    const dist = path.join(REPO_ROOT, 'node_modules', 'electron', 'dist');
    return { args: [`-c.electronDist=${dist}`], from: dist };
  }
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  const zip = `electron-v${version}-${process.platform}-${arch}.zip`;
  if (cachedZip(electronCacheDir(env), zip)) return { args: [], from: `the download cache (${zip})` };
  const mirror = (env.ELECTRON_MIRROR ?? 'https://github.com/electron/electron/releases/download/').replace(
    /\/?$/,
    '/',
  );
  const url = `${mirror}v${version}/${zip}`;
  if (await downloadReachable(url)) return { args: [], from: url };
  return {
    missing:
      `npm run dist needs Electron ${version} for ${process.platform}-${arch}, which is not on this machine and ` +
      `cannot be downloaded from ${new URL(url).host}: run it where the internet is reachable (or after ` +
      '`npx install-electron`, or with ELECTRON_DIST=/path/to/unpacked/electron); ' +
      'the Linux packages that need no Electron are built by `npm run package`.',
  };
}

async function main(): Promise<number> {
  const extra = process.argv.slice(2);
  const version = electronVersion();
  const electron = await locateElectron(version);
  if ('missing' in electron) {
    console.error(electron.missing);
    return 1;
  }
  step(`Electron ${version} from ${electron.from}`);
  step('icons from renderer/public/favicon.svg into build/…');
  await makeIcons();
  const run = (command: string, args: string[]) =>
    spawnSync(command, args, { cwd: REPO_ROOT, stdio: 'inherit', shell: process.platform === 'win32' })
      .status ?? 1;
  const built = run('npx', ['electron-vite', 'build']);
  if (built !== 0) return built;
  return run('npx', ['electron-builder', ...electron.args, ...extra]);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`npm run dist failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
