/**
 * `npm run bench:install`: the app's install path on a large package, each step against a
 * baseline measured in the same run on the same bytes:
 *
 * - download: the downloader (hashing, progress, resume bookkeeping) vs a plain
 *   `fetch` piped to a file, from a real provider over loopback;
 * - install: the installer (two passes of entry checks, staging, rename) vs the `tar`
 *   package extracting the same archive with no checks;
 * - memory: how much the process grows while downloading (streaming means it should stay
 *   flat however large the package is).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { x as extract } from 'tar';
import { download } from '../electron/core/downloader.ts';
import { installPackage } from '../electron/core/installer.ts';
import { packFiles } from '../server/seed/package-builder.ts';
import { createUser, enrol, publishSoftware, startProvider } from '../test-support/provider-harness.ts';

const PACKAGE_MIB = Number(process.env.KEYPORT_BENCH_PACKAGE_MIB ?? 64);
const ROUNDS = 3;

async function best(rounds: number, run: () => Promise<void>): Promise<number> {
  let fastest = Infinity;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await run();
    fastest = Math.min(fastest, performance.now() - t0);
  }
  return fastest;
}

function peakGrowth(): { stop(): number } {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      return (Math.max(peak, process.memoryUsage().rss) - start) / 2 ** 20;
    },
  };
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'keyport-bench-install-'));
  const provider = await startProvider({ settings: { rateLimits: { enabled: false } } });
  try {
    // Incompressible data, as real binaries mostly are.
    const archive = await packFiles({
      'keyport.json': JSON.stringify({ version: '1.0.0', entry: 'main.mjs' }),
      'main.mjs': "console.log('bench');\n",
      'data.bin': randomBytes(PACKAGE_MIB * 2 ** 20),
    });
    const { sha256 } = await publishSoftware(provider, 'bench-big', { priceCents: 0, archive });
    const { token } = await createUser(provider, 'bench');
    const deviceId = await enrol(provider, token);
    const bought = await provider.api('POST', '/v1/purchases', {
      token,
      body: { softwareId: 'bench-big', deviceId },
    });
    if (bought.status !== 201) throw new Error(`purchase: ${bought.status}`);
    const url = `${provider.url}/v1/downloads/bench-big?deviceId=${deviceId}`;
    const headers = { authorization: `Bearer ${token}` };
    const sizeMiB = archive.length / 2 ** 20;

    const baselineDownload = await best(ROUNDS, async () => {
      const response = await fetch(url, { headers });
      await pipeline(
        Readable.fromWeb(response.body as WebReadableStream),
        createWriteStream(path.join(work, 'plain.tar.gz')),
      );
    });
    let progressEvents = 0;
    const memory = peakGrowth();
    const ours = await best(ROUNDS, async () => {
      const destination = path.join(work, 'ours.tar.gz');
      await rm(destination, { force: true });
      await download({
        url,
        headers,
        destination,
        expectedSha256: sha256,
        onProgress: () => progressEvents++,
      });
    });
    const growthMiB = memory.stop();

    const archivePath = path.join(work, 'ours.tar.gz');
    let round = 0;
    const baselineInstall = await best(ROUNDS, async () => {
      const cwd = path.join(work, `plain-${round++}`);
      await mkdir(cwd);
      await extract({ file: archivePath, cwd });
    });
    const installRoot = path.join(work, 'apps');
    await mkdir(installRoot);
    const oursInstall = await best(ROUNDS, async () => {
      await installPackage({ archivePath, installRoot, softwareId: 'bench-big' });
    });

    const rate = (ms: number) => `${(sizeMiB / (ms / 1000)).toFixed(0)} MiB/s`;
    console.log(`\nKeyport install-path bench — a ${sizeMiB.toFixed(1)} MiB package, best of ${ROUNDS}\n`);
    console.log('step       baseline                          ours                               ratio');
    console.log(
      `download   ${rate(baselineDownload).padEnd(10)} (fetch → file)         ` +
        `${rate(ours).padEnd(10)} (hash, progress, resume)  ${(ours / baselineDownload).toFixed(2)}× the time`,
    );
    console.log(
      `install    ${rate(baselineInstall).padEnd(10)} (tar x, no checks)     ` +
        `${rate(oursInstall).padEnd(10)} (check, stage, rename)   ${(oursInstall / baselineInstall).toFixed(2)}× the time`,
    );
    console.log(
      `memory     the process grew by at most ${growthMiB.toFixed(1)} MiB while downloading ` +
        `${ROUNDS} × ${sizeMiB.toFixed(0)} MiB (${progressEvents} progress events)\n`,
    );
  } finally {
    await provider.close();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
