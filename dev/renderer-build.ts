/**
 * How the renderer is built, in one place: `electron.vite.config.ts` uses it for the
 * Electron build, `npm start` for a renderer-only build when it runs the web shell, and
 * the Chromium test for a build into a temporary folder. One build serves both shells:
 * relative asset paths (`base: './'`) work from file:// and from the web shell's `/`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import type { InlineConfig } from 'vite';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RENDERER_ROOT = path.join(REPO_ROOT, 'renderer');
export const OUT_DIR = path.join(REPO_ROOT, 'out');
export const RENDERER_OUT_DIR = path.join(OUT_DIR, 'renderer');

/** The parts of the Vite config both build paths share. */
export function rendererViteConfig(outDir: string = RENDERER_OUT_DIR) {
  return {
    root: RENDERER_ROOT,
    base: './',
    plugins: [react()],
    // The renderer names shared modules by `@shared/…` (renderer/tsconfig.json says the same).
    resolve: { alias: { '@shared': path.join(REPO_ROOT, 'shared') } },
    build: {
      outDir,
      emptyOutDir: true,
      // Chromium in Electron 45 and a current Chromium/Chrome for the web shell.
      target: 'es2022',
      // electron-vite turns minification off by default; the renderer is the same
      // production bundle in both shells.
      minify: true,
      cssMinify: true,
      // The polyfill would be an inline script, which the CSP refuses (and neither
      // Chromium needs it).
      modulePreload: { polyfill: false },
      reportCompressedSize: false,
      rolldownOptions: { input: path.join(RENDERER_ROOT, 'index.html') },
    },
  } satisfies InlineConfig;
}

/** A renderer-only production build with Vite (no Electron parts). */
export async function buildRenderer(outDir: string = RENDERER_OUT_DIR, quiet = false): Promise<void> {
  const { build } = await import('vite');
  // Vite picks React's build and the packages' export conditions from NODE_ENV, not from
  // `mode`; under Vitest NODE_ENV is `test`, which would make the Chromium tests check a
  // development bundle instead of the one that ships. So the build always sees production.
  const environmentNodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      ...rendererViteConfig(outDir),
      configFile: false,
      mode: 'production',
      logLevel: quiet ? 'warn' : 'info',
    });
  } finally {
    if (environmentNodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = environmentNodeEnv;
  }
}
