/**
 * `npm start`: a provider with the demo catalog, and the desktop app against it.
 *
 * 1. The provider runs in this process on 127.0.0.1:8787 (another free port if that one
 *    is taken), data under ./data/provider, demo account and catalog seeded.
 * 2. The app is built when out/ is missing or older than its sources.
 * 3. Electron starts when its binary and a display are there. Where it cannot start —
 *    binary not downloaded, no display, or it dies at once — this says why in one
 *    sentence and serves the same UI as a local web app (the web shell), opened in a
 *    Chromium `--app` window when a display and a Chromium exist.
 *
 * Ctrl-C stops everything; so does closing the app's window.
 */
import path from 'node:path';
import { readCommandLine } from '../shared/command-line.ts';
import { onStopSignal } from '../shared/stop-signals.ts';
import {
  APP_OPTION_SPEC,
  APP_OPTIONS_USAGE,
  appOptionsFrom,
  type AppOptions,
} from '../electron/core/app-options.ts';
import { ensureBuilt } from './build-app.ts';
import { electronLaunchability } from './electron-binary.ts';
import { startElectron } from './electron-process.ts';
import { startEmbeddedProvider, type EmbeddedProvider } from './embedded-provider.ts';
import { OUT_DIR, RENDERER_OUT_DIR, REPO_ROOT } from './renderer-build.ts';
import { startWebApp, type WebApp } from '../electron/web-shell/web-app.ts';

const DATA_DIR = path.join(REPO_ROOT, 'data');

const USAGE = `Usage: npm start -- [options]
  --port N                the provider's port (default 8787; another free port if it is taken)
  --data DIR              the provider's data folder (default ./data/provider)
  --web                   skip Electron: run the app as a local web app
  --web-port N            the local web app's port (default: any free port)
  --no-open               do not open a window for the local web app; print its address
${APP_OPTIONS_USAGE}
                          (--provider skips the built-in provider and uses that one)
Defaults here: --profile ./data/profile.`;

const log = (line: string) => console.log(line);

async function main(): Promise<void> {
  const cli = readCommandLine('npm start', USAGE, {
    ...APP_OPTION_SPEC,
    port: { type: 'string' },
    data: { type: 'string' },
    web: { type: 'boolean', default: false },
    'web-port': { type: 'string' },
    'no-open': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (!cli) return;
  const { values, fail, wholeNumber } = cli;
  const providerPort = wholeNumber('--port', values.port, 8787, 0, 65535);
  const webPort = wholeNumber('--web-port', values['web-port'], 0, 0, 65535);

  // 1. The provider.
  let provider: EmbeddedProvider | null = null;
  let providerUrl = values.provider;
  if (providerUrl === undefined) {
    provider = await startEmbeddedProvider({
      dataDir: path.resolve(values.data ?? path.join(DATA_DIR, 'provider')),
      port: providerPort,
      strictPort: values.port !== undefined,
    });
    providerUrl = provider.url;
    log(`Keyport provider (the store) at ${provider.url}`);
    if (provider.portFallback)
      log(`  port ${provider.portFallback.wanted} was taken, so it uses ${provider.portFallback.used}`);
    log(`  demo login: ${provider.demoLogin.email} / ${provider.demoLogin.password}`);
  } else {
    log(`Using the provider at ${providerUrl}`);
  }

  let appOptions: AppOptions;
  try {
    appOptions = appOptionsFrom({
      provider: providerUrl,
      profile: values.profile ?? path.join(DATA_DIR, 'profile'),
      'simulate-device': values['simulate-device'],
      'insecure-secret-file': values['insecure-secret-file'],
    });
  } catch (error) {
    await provider?.close();
    return fail(error instanceof Error ? error.message : String(error));
  }
  log(
    `  app profile: ${appOptions.profileDir}${appOptions.simulateDevice ? ` (simulated device "${appOptions.simulateDevice}")` : ''}`,
  );

  // Everything that runs, so Ctrl-C (or a closed window) can stop it in order.
  let webApp: WebApp | null = null;
  let stopElectron: (() => void) | null = null;
  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      stopElectron?.();
      await webApp?.close().catch(() => undefined);
      await provider?.close().catch(() => undefined);
    }
    process.exit(code);
  };
  onStopSignal(() => {
    log('\nStopping Keyport…');
    void stop(0);
  });

  // 2–3. Electron, when it can start here.
  let whyNotElectron: string | null = values.web ? 'you asked for the web app (--web)' : null;
  // The Electron build includes the renderer: once it ran, the web app need not check again.
  let rendererBuilt = false;
  if (whyNotElectron === null) {
    const electron = electronLaunchability();
    if ('missing' in electron) {
      whyNotElectron = electron.missing;
    } else {
      await ensureBuilt('electron', log);
      rendererBuilt = true;
      const args = ['--provider', appOptions.providerUrl, '--profile', appOptions.profileDir];
      if (appOptions.simulateDevice) args.push('--simulate-device', appOptions.simulateDevice);
      if (appOptions.insecureSecretFile) args.push('--insecure-secret-file');
      const started = await startElectron(electron.path, path.join(OUT_DIR, 'main', 'index.js'), args);
      if (started.ok) {
        const child = started.child;
        stopElectron = () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        };
        log('Keyport is running in Electron. Close its window (or press Ctrl-C) to stop.');
        const { code } = await started.exited;
        if (!stopping) await stop(code ?? 0);
        return;
      }
      whyNotElectron = started.reason;
    }
  }

  log(`\nNot starting Electron: ${whyNotElectron}.`);
  if (!rendererBuilt) await ensureBuilt('renderer', log);
  webApp = await startWebApp({
    appOptions,
    rendererDir: RENDERER_OUT_DIR,
    port: webPort,
    window: values['no-open'] ? false : { profile: { throwawayIn: DATA_DIR } },
    log,
  });
  log('Press Ctrl-C to stop.');
  const window = webApp.window;
  if (window) {
    await window.exited;
    if (!stopping) {
      log('The window was closed: stopping Keyport.');
      await stop(0);
    }
  }
}

main().catch((error: unknown) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
