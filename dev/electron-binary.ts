/**
 * Can Electron start here? Answered without `require('electron')`: that module downloads
 * the binary on first use, which on an offline machine hangs or fails noisily. We read
 * what its installer leaves behind instead (node_modules/electron/path.txt and dist/),
 * honouring ELECTRON_OVERRIDE_DIST_PATH as the electron package does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { findDisplay, isExecutable } from '../electron/web-shell/desktop-environment.ts';

export type Availability = { path: string } | { missing: string };

/** Where the electron package's installer puts the executable inside dist/. */
export function electronPlatformPath(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return 'Electron.app/Contents/MacOS/Electron';
  if (platform === 'win32') return 'electron.exe';
  return 'electron';
}

function electronPackageDir(): string | null {
  try {
    // Resolving package.json finds the folder without running the package's index.js.
    return path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return null;
  }
}

export function findElectronBinary(
  options: { env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform; packageDir?: string | null } = {},
): Availability {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const packageDir = options.packageDir === undefined ? electronPackageDir() : options.packageDir;
  if (packageDir === null) {
    return {
      missing: 'the electron package is not installed (node_modules/electron is missing); run `npm install`',
    };
  }
  const pathFile = path.join(packageDir, 'path.txt');
  const platformPath = existsSync(pathFile)
    ? readFileSync(pathFile, 'utf8').trim()
    : electronPlatformPath(platform);

  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const candidate = path.join(override, platformPath);
    return isExecutable(candidate, platform)
      ? { path: candidate }
      : {
          missing: `ELECTRON_OVERRIDE_DIST_PATH is set to ${override}, but ${candidate} is not an executable Electron`,
        };
  }

  const distDir = path.join(packageDir, 'dist');
  const shown = path.relative(process.cwd(), distDir) || distDir;
  if (!existsSync(distDir)) {
    return {
      missing: `the Electron binary is not downloaded (${shown} is missing); run \`npx install-electron\` where the internet is reachable`,
    };
  }
  const candidate = path.join(distDir, platformPath);
  if (!isExecutable(candidate, platform)) {
    return {
      missing: `the Electron binary is incomplete (${path.join(shown, platformPath)} is missing or not executable); delete ${shown} and run \`npx install-electron\``,
    };
  }
  return { path: candidate };
}

/** Electron's binary and a display, or the first reason it cannot start. */
export function electronLaunchability(
  options: {
    env?: NodeJS.ProcessEnv;
    platform?: NodeJS.Platform;
    packageDir?: string | null;
    uid?: number | null;
  } = {},
): Availability {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const binary = findElectronBinary({ env, platform, packageDir: options.packageDir });
  if ('missing' in binary) return binary;
  const display = findDisplay(env, platform);
  if ('missing' in display) return display;
  const uid = options.uid === undefined ? (process.getuid?.() ?? null) : options.uid;
  // Chromium refuses to run as root with its sandbox on, and we do not turn it off.
  if (platform === 'linux' && uid === 0) {
    return { missing: 'Electron does not run as root with its sandbox on; run `npm start` as a normal user' };
  }
  return binary;
}
