/**
 * `npm run bench`: throughput and latency of the provider's hot paths over real HTTP
 * on loopback, each against a baseline measured in the same run (GET /healthz, which
 * is Fastify + HTTP and nothing of ours), so the ratios mean something on any machine.
 *
 * Bounded: a fixed number of requests per measurement, 8 clients at once.
 * Set KEYPORT_TEST_DATABASE_URL to run it against PostgreSQL instead of SQLite.
 */
import { performance } from 'node:perf_hooks';
import {
  createUser,
  enrol,
  license,
  publishSoftware,
  startProvider,
  type TestProvider,
} from '../test-support/provider-harness.ts';
import { testDatabaseKind } from '../test-support/test-database.ts';

const CONCURRENCY = 8;

interface Figure {
  name: string;
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
}

async function measure(
  name: string,
  requests: number,
  operation: (i: number) => Promise<void>,
  clients = CONCURRENCY,
): Promise<Figure> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < requests) {
        const i = next++;
        const t0 = performance.now();
        await operation(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { name, requests, perSecond: requests / elapsed, p50: at(0.5), p99: at(0.99) };
}

function expectStatus(status: number, wanted: number, what: string): void {
  if (status !== wanted) throw new Error(`${what}: expected ${wanted}, got ${status}`);
}

async function main(): Promise<void> {
  const provider: TestProvider = await startProvider({
    settings: { rateLimits: { enabled: false }, deviceLimit: 100 },
  });
  try {
    const { api } = provider;
    const { token } = await createUser(provider, 'bench');
    const [deviceA, deviceB] = [await enrol(provider, token, 'A'), await enrol(provider, token, 'B')];
    await publishSoftware(provider, 'bench-app');
    const purchase = await api('POST', '/v1/purchases', {
      token,
      body: { softwareId: 'bench-app', deviceId: deviceA },
    });
    expectStatus(purchase.status, 201, 'purchase');

    // Warm up the JIT and the connection pool so the baseline is not measured cold.
    await measure('warm-up', 1000, async () => {
      await api('GET', '/healthz');
      await api('GET', '/v1/registrations', { token });
    });
    const rssBefore = process.memoryUsage().rss;
    const figures: Figure[] = [];
    figures.push(
      await measure('GET /healthz (baseline)', 2000, async () => {
        expectStatus((await api('GET', '/healthz')).status, 200, 'healthz');
      }),
    );
    figures.push(
      await measure('GET /v1/catalog', 2000, async () => {
        expectStatus((await api('GET', '/v1/catalog?limit=20')).status, 200, 'catalog');
      }),
    );
    figures.push(
      await measure('GET /v1/registrations (session auth)', 2000, async () => {
        expectStatus((await api('GET', '/v1/registrations', { token })).status, 200, 'registrations');
      }),
    );
    figures.push(
      await measure('license request + redeem (Ed25519 sign)', 500, async () => {
        await license(provider, token, 'bench-app', deviceA);
      }),
    );
    // Transfers must alternate direction, so they run one client at a time, compared
    // with a one-client baseline.
    const sequentialBaseline = await measure(
      'GET /healthz (baseline, 1 client)',
      500,
      async () => {
        expectStatus((await api('GET', '/healthz')).status, 200, 'healthz');
      },
      1,
    );
    let on = deviceA;
    const transfers = await measure(
      'POST /v1/transfers (1 client)',
      500,
      async () => {
        const to = on === deviceA ? deviceB : deviceA;
        const response = await api('POST', '/v1/transfers', {
          token,
          body: { softwareId: 'bench-app', sourceDeviceId: on, destinationDeviceId: to },
        });
        expectStatus(response.status, 201, 'transfer');
        on = to;
      },
      1,
    );
    const rssAfter = process.memoryUsage().rss;

    const baseline = figures[0]!;
    console.log(
      `\nKeyport provider bench — database: ${testDatabaseKind()}, ${CONCURRENCY} clients, loopback HTTP\n`,
    );
    console.log(
      `${'operation'.padEnd(42)}${'requests'.padStart(9)}${'req/s'.padStart(10)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'× baseline p50'.padStart(16)}`,
    );
    const row = (f: Figure, base: Figure) =>
      console.log(
        `${f.name.padEnd(42)}${String(f.requests).padStart(9)}${f.perSecond.toFixed(0).padStart(10)}${f.p50.toFixed(2).padStart(9)}${f.p99.toFixed(2).padStart(9)}${(f.p50 / base.p50).toFixed(2).padStart(16)}`,
      );
    for (const f of figures) row(f, baseline);
    row(sequentialBaseline, sequentialBaseline);
    row(transfers, sequentialBaseline);
    console.log(
      `\nprocess RSS: ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, ${(rssAfter / 2 ** 20).toFixed(0)} MiB after`,
    );
  } finally {
    await provider.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
