/**
 * `npm run web-shell -- --provider URL [--profile DIR] [--port N] [--no-open]`: the app as
 * a local web app against a provider that is already running (no Electron, no built-in
 * provider). Prints the launch URL, and opens it in Chromium when it can.
 */
import path from 'node:path';
import { readCommandLine } from '../shared/command-line.ts';
import { onStopSignal } from '../shared/stop-signals.ts';
import { APP_OPTION_SPEC, APP_OPTIONS_USAGE, appOptionsFrom } from '../electron/core/app-options.ts';
import { startWebApp } from '../electron/web-shell/web-app.ts';
import { ensureBuilt } from './build-app.ts';
import { RENDERER_OUT_DIR, REPO_ROOT } from './renderer-build.ts';

const USAGE = `Usage: npm run web-shell -- [options]
  --port N                the web app's port (default: any free port)
  --no-open               do not open a Chromium window; print the address
${APP_OPTIONS_USAGE}`;

async function main(): Promise<void> {
  const cli = readCommandLine('web-shell', USAGE, {
    ...APP_OPTION_SPEC,
    port: { type: 'string' },
    'no-open': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (!cli) return;
  const { values, fail, wholeNumber } = cli;
  const port = wholeNumber('--port', values.port, 0, 0, 65535);
  let appOptions;
  try {
    appOptions = appOptionsFrom(values);
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
  console.log(`Using the provider at ${appOptions.providerUrl}; app profile ${appOptions.profileDir}`);
  const log = (line: string) => console.log(line);
  await ensureBuilt('renderer', log);
  const app = await startWebApp({
    appOptions,
    rendererDir: RENDERER_OUT_DIR,
    port,
    window: values['no-open'] ? false : { profile: { throwawayIn: path.join(REPO_ROOT, 'data') } },
    log,
  });
  console.log('Press Ctrl-C to stop.');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await app.close().catch(() => undefined);
    process.exit(0);
  };
  onStopSignal(() => void stop());
  if (app.window) {
    await app.window.exited;
    console.log('The window was closed: stopping.');
    await stop();
  }
}

main().catch((error: unknown) => {
  console.error(`web-shell failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
