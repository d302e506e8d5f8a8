/**
 * `npm run bench:contention`: how long the provider takes to settle the races the
 * concurrency tests check for correctness — 50 transfers of one copy at once, 20
 * redeems of one transaction ID, 20 purchases with one Idempotency-Key — and, on
 * PostgreSQL, how many SERIALIZABLE retries that cost. One in-process provider over
 * loopback HTTP; set KEYPORT_TEST_DATABASE_URL to run it on PostgreSQL.
 */
import { performance } from 'node:perf_hooks';
import { transactionRetries } from '../server/db/database.ts';
import {
  createUser,
  enrol,
  publishSoftware,
  startProvider,
  type ApiResponse,
} from '../test-support/provider-harness.ts';
import { testDatabaseKind } from '../test-support/test-database.ts';

const ROUNDS = 5;

interface Round {
  ms: number;
  retries: number;
  winners: number;
}

function summarise(name: string, rounds: Round[]): void {
  const times = rounds.map((r) => r.ms).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  const retries = rounds.map((r) => r.retries);
  const winners = [...new Set(rounds.map((r) => r.winners))].join('/');
  console.log(
    `${name.padEnd(46)}${median.toFixed(0).padStart(10)}${(times.at(-1) ?? 0).toFixed(0).padStart(9)}` +
      `${(retries.reduce((a, b) => a + b, 0) / rounds.length).toFixed(1).padStart(14)}${winners.padStart(9)}`,
  );
}

/** Run one race; it must end with exactly `expected` responses of status `winning`. */
async function timed(race: () => Promise<ApiResponse[]>, winning: number, expected: number): Promise<Round> {
  const before = transactionRetries.serialization + transactionRetries.uniqueViolation;
  const started = performance.now();
  const responses = await race();
  const ms = performance.now() - started;
  const failures = responses.filter((r) => r.status >= 500);
  if (failures.length > 0)
    throw new Error(`${failures.length} responses were 5xx: ${JSON.stringify(failures[0]!.body)}`);
  const winners = responses.filter((r) => r.status === winning).length;
  if (winners !== expected) throw new Error(`expected ${expected} × ${winning}, got ${winners}`);
  return {
    ms,
    retries: transactionRetries.serialization + transactionRetries.uniqueViolation - before,
    winners,
  };
}

async function main(): Promise<void> {
  const provider = await startProvider({ settings: { rateLimits: { enabled: false }, deviceLimit: 100 } });
  try {
    const { api } = provider;
    const { token } = await createUser(provider, 'contention');
    const devices: string[] = [];
    for (let i = 0; i < 51; i++) devices.push(await enrol(provider, token, `Device ${i}`));
    const [source, ...destinations] = devices as [string, ...string[]];

    const transfers: Round[] = [];
    const redeems: Round[] = [];
    const purchases: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const softwareId = `race-${round}`;
      await publishSoftware(provider, softwareId);
      purchases.push(
        await timed(
          () =>
            Promise.all(
              Array.from({ length: 20 }, () =>
                api('POST', '/v1/purchases', {
                  token,
                  headers: { 'idempotency-key': `purchase-round-${round}` },
                  body: { softwareId, deviceId: source },
                }),
              ),
            ),
          201,
          20,
        ),
      );
      const requested = await api('POST', '/v1/licenses/requests', {
        token,
        body: { softwareId, deviceId: source },
      });
      redeems.push(
        await timed(
          () =>
            Promise.all(
              Array.from({ length: 20 }, () =>
                api('POST', '/v1/licenses/redeem', {
                  token,
                  body: { transactionId: requested.body.transactionId, deviceId: source },
                }),
              ),
            ),
          200,
          1,
        ),
      );
      transfers.push(
        await timed(
          () =>
            Promise.all(
              destinations.map((destinationDeviceId) =>
                api('POST', '/v1/transfers', {
                  token,
                  body: { softwareId, sourceDeviceId: source, destinationDeviceId },
                }),
              ),
            ),
          201,
          1,
        ),
      );
    }

    console.log(`\nKeyport contention bench — database: ${testDatabaseKind()}, ${ROUNDS} rounds each\n`);
    console.log(
      `${'race'.padEnd(46)}${'median ms'.padStart(10)}${'max ms'.padStart(9)}${'retries/round'.padStart(14)}${'winners'.padStart(9)}`,
    );
    summarise('20 purchases, one Idempotency-Key (all 201)', purchases);
    summarise('20 redeems of one transaction ID', redeems);
    summarise('50 transfers of one copy to 50 devices', transfers);
    console.log(`\ngave up after too many retries (503): ${transactionRetries.gaveUp}`);
  } finally {
    await provider.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
