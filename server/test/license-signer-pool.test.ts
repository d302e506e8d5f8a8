/**
 * The pool deadlock of issue 12: redeem once signed inside its transaction, and signing
 * could wait for a key reload that needed a second pool connection. With every
 * connection held by redeems waiting on that reload, the pool stalled until its 5 s
 * timeout and the waiters got 500. Signing now happens after the commit, with the keys
 * in memory, and keys are re-read on a timer outside requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../db/database.ts';
import { LicenseSigner } from '../lib/license-signer.ts';
import { skipNote } from '../../test-support/skip-note.ts';
import { createTestDatabase, testDatabaseKind } from '../../test-support/test-database.ts';
import {
  createUser,
  enrol,
  publishSoftware,
  startProvider,
  type TestProvider,
} from '../../test-support/provider-harness.ts';

const onPostgres = testDatabaseKind() === 'postgres';
const CLAIMS = { iss: 'keyport', sub: 'c', sw: 's', usr: 'u', dev: 'd', iat: 1, exp: 2, jti: 'j' };

/** Resolves to the value, or to 'still waiting' if it has not settled after `ms`. */
function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<T | 'still waiting'> {
  return Promise.race([
    promise,
    new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), ms).unref()),
  ]);
}

describe.skipIf(!onPostgres)(
  `a key reload while every pool connection is held${skipNote(onPostgres ? null : 'runs in `npm run test:postgres`')}`,
  () => {
    it('signs without waiting for the reload, which finishes once a connection is free', async () => {
      const database = await createTestDatabase();
      const registry = await openPostgres(database.url, { poolSize: 2 });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      try {
        const signer = await LicenseSigner.openShared(registry.db);
        // Both connections taken, as by two requests inside their transactions.
        let held = 0;
        const holders = [1, 2].map(() =>
          registry.db.connection().execute(async () => {
            held += 1;
            await gate;
          }),
        );
        await expect.poll(() => held).toBe(2);
        const reload = signer.reloadNow();
        expect(await settlesWithin(reload, 200)).toBe('still waiting'); // it needs a connection
        // A request holding a connection can still be answered: signing does not wait.
        const token = await settlesWithin(signer.sign(CLAIMS), 2000);
        expect(token).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
        release();
        await Promise.all(holders);
        await expect(reload).resolves.toBeUndefined();
      } finally {
        release();
        await registry.close();
        await database.drop();
      }
    });
  },
);

describe(`redeems on a two-connection pool while keys reload every 5 ms (${testDatabaseKind()})`, () => {
  let provider: TestProvider;
  beforeAll(async () => {
    provider = await startProvider({
      poolSize: 2,
      licenseKeyReloadMs: 5,
      settings: { rateLimits: { enabled: false }, deviceLimit: 50 },
    });
  });
  afterAll(() => provider?.close());

  it('answers every one of 24 concurrent redeems with a license, none with a 500', async () => {
    const { token } = await createUser(provider, 'pool');
    await publishSoftware(provider, 'pool-app');
    const devices = await Promise.all(Array.from({ length: 24 }, (_, i) => enrol(provider, token, `D${i}`)));
    // A program per device, so all 24 redeems are for different copies and run at once.
    const softwareIds = devices.map((_, i) => `pool-app-${i}`);
    for (const softwareId of softwareIds) await publishSoftware(provider, softwareId);
    const transactions = await Promise.all(
      devices.map(async (deviceId, i) => {
        const softwareId = softwareIds[i]!;
        const bought = await provider.api('POST', '/v1/purchases', { token, body: { softwareId, deviceId } });
        expect(bought.status).toBe(201);
        const requested = await provider.api('POST', '/v1/licenses/requests', {
          token,
          body: { softwareId, deviceId },
        });
        expect(requested.status).toBe(201);
        return { deviceId, transactionId: requested.body.transactionId as string };
      }),
    );
    const redeemed = await Promise.all(
      transactions.map(({ deviceId, transactionId }) =>
        provider.api('POST', '/v1/licenses/redeem', { token, body: { transactionId, deviceId } }),
      ),
    );
    expect(redeemed.map((r) => r.status)).toEqual(redeemed.map(() => 200));
    expect(new Set(redeemed.map((r) => r.body.licenseKey)).size).toBe(24);
  });
});
