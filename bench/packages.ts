/**
 * `npm run bench:packages` (part of `npm run bench`): the Linux packages as a user meets
 * them, against baselines measured in the same run:
 *
 * - size: each `.deb` as `npm run package` makes it (xz -6), and installed;
 * - install: `dpkg -i` of both into a fresh copy of the clean Debian root;
 * - start: from starting the installed app (`keyport open`, the menu entry's command) to
 *   its first screen in Chromium, next to `npm start -- --web` from this checkout against
 *   the same provider, to the same screen, in the same browser.
 *
 * Needs root, debootstrap and Chromium (as `npm run test:package` does); says so otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium, type Browser } from 'playwright-core';
import { buildPackages } from '../packaging/build-packages.ts';
import { CACHE_DIR, REPO_ROOT } from '../packaging/paths.ts';
import { waitForOutput } from '../packaging/child-output.ts';
import { CleanRoot, ensureCleanRoot } from '../packaging/clean-root.ts';

const CHROMIUM = process.env.KEYPORT_TEST_CHROMIUM ?? '/usr/bin/chromium';
const ROUNDS = 3;
const PORT = 19_000 + Math.floor(Math.random() * 900);

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

const LAUNCH_URL = /(http:\/\/127\.0\.0\.1:\d+\/#secret=[\w-]+)/;

/** Milliseconds from `start()` to the app's first screen (sign in) in the browser. */
async function timeToFirstScreen(browser: Browser, start: () => ChildProcess, what: string): Promise<number> {
  const t0 = performance.now();
  const child = start();
  try {
    const url = await waitForOutput(child, LAUNCH_URL, what);
    const page = await browser.newPage();
    await page.goto(url);
    await page.getByRole('heading', { name: 'Buy once. Take it with you.' }).waitFor({ timeout: 30_000 });
    const elapsed = performance.now() - t0;
    await page.close();
    return elapsed;
  } finally {
    const exited = new Promise((resolve) =>
      child.exitCode === null ? child.once('exit', resolve) : resolve(null),
    );
    // npm start runs its own children: stop the whole process group it leads.
    if (child.spawnargs[0] === 'npm' && child.pid) process.kill(-child.pid, 'SIGTERM');
    else child.kill('SIGTERM');
    await exited;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0 || !existsSync('/usr/sbin/debootstrap') || !existsSync(CHROMIUM)) {
    console.log('bench:packages: skipped, it needs root, debootstrap and Chromium (as npm run test:package)');
    return;
  }
  console.log('bench:packages: building the packages as npm run package does…');
  const outDir = path.join(CACHE_DIR, 'bench-packages');
  const built = await buildPackages({ outDir });
  const version = Object.keys(built.keyport)[0]!;
  const files = { keyport: built.keyport[version]!, 'keyport-provider': built['keyport-provider'][version]! };

  const pristine = await ensureCleanRoot((line) => console.log(`bench:packages: ${line}`));
  const installs: number[] = [];
  let root: CleanRoot | null = null;
  for (let round = 0; round < ROUNDS; round++) {
    await root?.close();
    root = await CleanRoot.create(pristine, path.join(CACHE_DIR, 'bench-root'));
    const inside = [];
    for (const file of Object.values(files)) inside.push(await root.copyIn(file));
    const t0 = performance.now();
    root.run(['dpkg', '-i', ...inside]);
    installs.push(performance.now() - t0);
  }
  const installed = root!;
  const scratch = await mkdtemp(path.join(tmpdir(), 'keyport-bench-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const provider = installed.start(['/usr/bin/keyport-provider', '--data', '/var/lib/keyport-provider'], {
      user: 'keyport-provider',
      env: { KEYPORT_PORT: String(PORT), LOG_LEVEL: 'warn' },
    });
    await waitForOutput(provider, /listening on (http:\/\/\S+)/, 'keyport-provider');
    const providerUrl = `http://127.0.0.1:${PORT}`;

    const packaged: number[] = [];
    const checkout: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      packaged.push(
        await timeToFirstScreen(
          browser,
          () =>
            installed.start(
              ['keyport', 'open', '--no-open', '--insecure-secret-file', '--simulate-device', 'bench'],
              {
                env: { HOME: '/root', KEYPORT_PROVIDER_URL: providerUrl },
              },
            ),
          'keyport open',
        ),
      );
      const profile = path.join(scratch, `profile-${round}`);
      checkout.push(
        await timeToFirstScreen(
          browser,
          () =>
            spawn(
              'npm',
              [
                'start',
                '--',
                '--web',
                '--no-open',
                '--provider',
                providerUrl,
                '--profile',
                profile,
                '--insecure-secret-file',
              ],
              { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
            ),
          'npm start',
        ),
      );
    }

    console.log('\nLinux packages (npm run package), measured in this run:');
    console.log('| figure | value | baseline (same run) | ratio |');
    console.log('| --- | --- | --- | --- |');
    for (const [name, file] of Object.entries(files)) {
      const size = (await stat(file)).size;
      const installedKiB = Number(
        installed.run(['dpkg-query', '-W', '-f=${Installed-Size}', name]).stdout.trim() || 0,
      );
      console.log(`| ${path.basename(file)} | ${mib(size)} (installed ${mib(installedKiB * 1024)}) | | |`);
    }
    console.log(
      `| dpkg -i of both into a clean root (median of ${ROUNDS}) | ${(median(installs) / 1000).toFixed(2)} s | | |`,
    );
    const ours = median(packaged);
    const theirs = median(checkout);
    console.log(
      `| installed app: start → first screen (median of ${ROUNDS}) | ${ours.toFixed(0)} ms | npm start -- --web: ${theirs.toFixed(0)} ms | ${(ours / theirs).toFixed(2)} |`,
    );
    provider.kill('SIGTERM');
  } finally {
    await browser.close();
    await installed.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(
    `bench:packages failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
});
