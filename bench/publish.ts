/**
 * `npm run bench:publish` (part of `npm run bench`): publishing a 256 MiB release to a
 * real provider process over loopback, while another client asks /healthz every 10 ms.
 *
 * Figures, each against the same provider measured idle in the same run:
 * - /healthz p50/p99 during the upload ÷ idle (target: p99 under 50 ms);
 * - the provider's RSS growth during the upload (target: under 64 MiB), from /proc.
 * The release is incompressible (random bytes), so its .tar.gz is as large as its files.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { create } from 'tar';

const MiB = 1024 * 1024;
const RELEASE_MIB = Number(process.env.KEYPORT_BENCH_RELEASE_MIB ?? 256);
const TARGET_P99_MS = 50;
const TARGET_RSS_MIB = 64;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'keyport-bench-publish-'));
  const provider = await startProviderProcess(work);
  try {
    const archive = await buildRelease(work, RELEASE_MIB);
    const archiveBytes = (await stat(archive)).size;
    await provider.api('POST', '/v1/admin/software', {
      softwareId: 'bench-big',
      name: 'Bench Big',
      summary: 'A large release',
      priceCents: 0,
      currency: 'EUR',
    });

    const idle = await pollHealth(provider, async () => new Promise((r) => setTimeout(r, 3000)));
    const rssBefore = await rssOf(provider.pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      void rssOf(provider.pid).then((rss) => (rssPeak = Math.max(rssPeak, rss)));
    }, 25);
    let uploadMs = 0;
    const during = await pollHealth(provider, async () => {
      const started = performance.now();
      const response = await fetch(`${provider.url}/v1/admin/software/bench-big/releases`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${provider.adminToken}`,
          'content-type': 'application/gzip',
          'content-length': String(archiveBytes),
        },
        body: Readable.toWeb(createReadStream(archive)) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      const body = await response.text();
      uploadMs = performance.now() - started;
      if (response.status !== 201) throw new Error(`publish answered ${response.status}: ${body}`);
    });
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, await rssOf(provider.pid));

    const growthMiB = (rssPeak - rssBefore) / MiB;
    const row = (name: string, value: string, note = '') =>
      console.log(`  ${name.padEnd(34)} ${value.padStart(14)}  ${note}`);
    console.log(
      `\npublish of a ${(archiveBytes / MiB).toFixed(0)} MiB release (one provider process, loopback)`,
    );
    row(
      'upload + scan + store',
      `${(uploadMs / 1000).toFixed(2)} s`,
      `${(archiveBytes / MiB / (uploadMs / 1000)).toFixed(0)} MiB/s`,
    );
    row(
      '/healthz idle p50 / p99',
      `${idle.p50.toFixed(2)} / ${idle.p99.toFixed(2)} ms`,
      `${idle.count} requests`,
    );
    row(
      '/healthz during upload p50 / p99',
      `${during.p50.toFixed(2)} / ${during.p99.toFixed(2)} ms`,
      `${during.count} requests; p99 ${(during.p99 / idle.p99).toFixed(1)}× idle; target < ${TARGET_P99_MS} ms: ${during.p99 < TARGET_P99_MS ? 'met' : 'MISSED'}`,
    );
    row(
      'provider RSS growth',
      `${growthMiB.toFixed(1)} MiB`,
      `${(rssBefore / MiB).toFixed(0)} → ${(rssPeak / MiB).toFixed(0)} MiB; ${(growthMiB / (archiveBytes / MiB)).toFixed(3)}× the release; target < ${TARGET_RSS_MIB} MiB: ${growthMiB < TARGET_RSS_MIB ? 'met' : 'MISSED'}`,
    );
  } finally {
    await provider.stop();
    await rm(work, { recursive: true, force: true });
  }
}

interface ProviderProcess {
  url: string;
  pid: number;
  adminToken: string;
  api: (method: string, route: string, body: unknown) => Promise<unknown>;
  stop: () => Promise<void>;
}

/** The provider as users run it: its own process, so its RSS is its own. */
async function startProviderProcess(work: string): Promise<ProviderProcess> {
  const adminToken = `kpa_bench_${randomBytes(16).toString('hex')}`;
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'server/main.ts'),
      '--port',
      '0',
      '--data',
      path.join(work, 'data'),
      '--max-release-mib',
      String(RELEASE_MIB + 16),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, KEYPORT_ADMIN_TOKEN: adminToken, LOG_LEVEL: 'warn', KEYPORT_RATE_LIMITS: 'off' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) =>
      reject(new Error(`the provider exited (${code}) before listening:\n${output}`)),
    );
  });
  child.stdout.resume();
  return {
    url,
    pid: child.pid!,
    adminToken,
    api: async (method, route, body) => {
      const response = await fetch(`${url}${route}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
      return response.json();
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A .tar.gz of keyport.json, main.mjs and `mib` MiB of random bytes, streamed to disk. */
async function buildRelease(work: string, mib: number): Promise<string> {
  const dir = path.join(work, 'release');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'keyport.json'), JSON.stringify({ version: '1.0.0', entry: 'main.mjs' }));
  await writeFile(path.join(dir, 'main.mjs'), 'console.log("big");\n');
  await pipeline(
    Readable.from(
      (function* () {
        for (let i = 0; i < mib; i++) yield randomBytes(MiB);
      })(),
    ),
    createWriteStream(path.join(dir, 'assets.bin')),
  );
  const archive = path.join(work, 'release.tar.gz');
  process.stdout.write(`building a ${mib} MiB release… `);
  await create({ gzip: { level: 1 }, file: archive, cwd: dir, portable: true }, [
    'keyport.json',
    'main.mjs',
    'assets.bin',
  ]);
  await rm(path.join(dir, 'assets.bin'));
  console.log('done');
  return archive;
}

/** /healthz asked one at a time, every 10 ms, for as long as `during` runs. */
async function pollHealth(
  provider: ProviderProcess,
  during: () => Promise<void>,
): Promise<{ p50: number; p99: number; count: number }> {
  const latencies: number[] = [];
  let running = true;
  const poller = (async () => {
    while (running) {
      const started = performance.now();
      const response = await fetch(`${provider.url}/healthz`);
      await response.arrayBuffer();
      latencies.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    await during();
  } finally {
    running = false;
    await poller;
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), count: latencies.length };
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kib * 1024;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
