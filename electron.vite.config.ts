/**
 * `electron-vite build` → out/main/index.js (ESM main process), out/preload/index.cjs
 * (the sandboxed preload: one CommonJS file, everything bundled in), out/renderer
 * (the React app, shared with the web shell — see dev/renderer-build.ts).
 */
import path from 'node:path';
import { defineConfig } from 'electron-vite';
import { OUT_DIR, REPO_ROOT, rendererViteConfig } from './dev/renderer-build.ts';

export default defineConfig({
  main: {
    build: {
      outDir: path.join(OUT_DIR, 'main'),
      // Packages from node_modules (the native keychain module among them) stay outside
      // the bundle; electron-builder ships them with the app.
      externalizeDeps: true,
      rolldownOptions: {
        input: { index: path.join(REPO_ROOT, 'electron', 'main', 'index.ts') },
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: path.join(OUT_DIR, 'preload'),
      // A sandboxed preload can require nothing but a few Electron modules.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: path.join(REPO_ROOT, 'electron', 'preload', 'index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererViteConfig(),
});
