/**
 * The provider's logs (pino JSON, here at level trace, the most talkative) never
 * contain a secret: passwords, session tokens, the admin token, license keys or
 * transaction IDs — not on the happy path, not when a request is refused.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  publishSoftware,
  randomDeviceId,
  startProvider,
  type TestProvider,
} from '../../test-support/provider-harness.ts';

let provider: TestProvider;
const lines: string[] = [];
const logStream = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    lines.push(chunk.toString('utf8'));
    callback();
  },
});
const logText = () => lines.join('');

/** Every secret the flow below handles, by what it is. */
const secrets = new Map<string, string>();
function keep(kind: string, value: unknown): string {
  expect(typeof value, kind).toBe('string');
  expect((value as string).length, kind).toBeGreaterThan(0);
  secrets.set(`${kind} #${secrets.size}`, value as string);
  return value as string;
}

beforeAll(async () => {
  provider = await startProvider({ logStream });
  keep('admin token', provider.adminToken);
  const { api } = provider;

  await publishSoftware(provider, 'logged-app');
  const password = keep('password', 'correct horse battery staple');
  const email = 'logger@example.test';
  const created = await api('POST', '/v1/accounts', { body: { email, password, displayName: 'Logger' } });
  expect(created.status).toBe(201);
  keep('session token', created.body.token);

  const signedIn = await api('POST', '/v1/sessions', { body: { email, password } });
  expect(signedIn.status).toBe(201);
  const token = keep('session token', signedIn.body.token);

  // Failed sign-ins: a wrong password, an unknown account, and a password in a broken body.
  const wrong = keep('wrong password', 'Tr0ub4dor&3-not-it');
  expect((await api('POST', '/v1/sessions', { body: { email, password: wrong } })).status).toBe(401);
  const unknown = keep('password of an unknown account', 'nobody-has-this-password');
  expect(
    (await api('POST', '/v1/sessions', { body: { email: 'ghost@example.test', password: unknown } })).status,
  ).toBe(401);
  const broken = keep('password in malformed JSON', 'leaked-through-a-parse-error');
  const malformed = await api('POST', '/v1/sessions', {
    rawBody: `{"email":"${email}","password":"${broken}"`,
    headers: { 'content-type': 'application/json' },
  });
  expect(malformed.status).toBe(400);
  const tooLong = keep('over-long password', `x${'long-password-'.repeat(20)}`);
  expect((await api('POST', '/v1/sessions', { body: { email, password: tooLong } })).status).toBe(400);
  const badBearer = keep('bad bearer token', 'kps_this-is-not-a-real-session-token');
  expect((await api('GET', '/v1/me', { token: badBearer })).status).toBe(401);
  const badAdmin = keep('wrong admin token', 'kpa_not-the-admin-token');
  expect((await api('GET', '/v1/admin/events', { token: badAdmin })).status).toBe(401);

  const device1 = randomDeviceId();
  const device2 = randomDeviceId();
  for (const deviceId of [device1, device2]) {
    const enrolled = await api('POST', '/v1/devices', {
      token,
      body: { deviceId, name: 'Box', platform: 'linux' },
    });
    expect(enrolled.status).toBe(201);
  }
  const bought = await api('POST', '/v1/purchases', {
    token,
    body: { softwareId: 'logged-app', deviceId: device1 },
    headers: { 'idempotency-key': 'logged-purchase-1' },
  });
  expect(bought.status).toBe(201);
  expect((await api('GET', `/v1/downloads/logged-app?deviceId=${device1}`, { token })).status).toBe(200);

  const requested = await api('POST', '/v1/licenses/requests', {
    token,
    body: { softwareId: 'logged-app', deviceId: device1 },
  });
  expect(requested.status).toBe(201);
  const transactionId = keep('transaction ID', requested.body.transactionId);
  const redeemed = await api('POST', '/v1/licenses/redeem', {
    token,
    body: { transactionId, deviceId: device1 },
  });
  expect(redeemed.status).toBe(200);
  keep('license key', redeemed.body.licenseKey);
  // A replayed and a wrong transaction ID are refused — and still not logged.
  expect(
    (await api('POST', '/v1/licenses/redeem', { token, body: { transactionId, deviceId: device1 } })).status,
  ).toBe(409);
  const guessed = keep('guessed transaction ID', 'kpt_guessed-transaction-id-0000000000');
  expect(
    (await api('POST', '/v1/licenses/redeem', { token, body: { transactionId: guessed, deviceId: device1 } }))
      .status,
  ).toBe(404);

  const refreshed = await api('POST', '/v1/licenses/refresh', {
    token,
    body: { softwareId: 'logged-app', deviceId: device1 },
  });
  expect(refreshed.status).toBe(200);
  keep('license key', refreshed.body.licenseKey);

  const moved = await api('POST', '/v1/transfers', {
    token,
    body: { softwareId: 'logged-app', sourceDeviceId: device1, destinationDeviceId: device2 },
  });
  expect(moved.status).toBe(201);
  const pending = await api('POST', '/v1/licenses/requests', {
    token,
    body: { softwareId: 'logged-app', deviceId: device2 },
  });
  keep('transaction ID', pending.body.transactionId);
  const second = await api('POST', '/v1/licenses/redeem', {
    token,
    body: { transactionId: pending.body.transactionId, deviceId: device2 },
  });
  keep('license key', second.body.licenseKey);
  expect(
    (
      await api('POST', '/v1/licenses/refresh', {
        token,
        body: { softwareId: 'logged-app', deviceId: device1 },
      })
    ).status,
  ).toBe(403);

  // Provisioning with a password, and signing out.
  const provisionPassword = keep('provisioned password', 'retailer-set-password-42');
  const provisioned = await api('POST', '/v1/admin/provision', {
    token: provider.adminToken,
    body: { email: 'shop@example.test', displayName: 'Shop', password: provisionPassword, devices: [] },
  });
  expect(provisioned.status).toBe(201);
  expect((await api('DELETE', '/v1/sessions/current', { token })).status).toBe(204);
  expect((await api('GET', '/v1/me', { token })).status).toBe(401);
});
afterAll(() => provider.close());

describe('logs', () => {
  it('were written, at trace level, one JSON object per line, for the requests made', () => {
    const text = logText();
    expect(text.length).toBeGreaterThan(1000);
    const records = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.length).toBeGreaterThan(20);
    expect(records.every((r) => typeof r.level === 'number' && typeof r.time === 'number')).toBe(true);
    // The flow really went through the logged server.
    expect(text).toContain('/v1/licenses/redeem');
    expect(text).toContain('/v1/transfers');
    expect(text).toContain('BAD_CREDENTIALS');
  });

  it('contain none of the secrets the flow handled', () => {
    const text = logText();
    expect(secrets.size).toBeGreaterThanOrEqual(15);
    const leaked = [...secrets].filter(([, value]) => text.includes(value)).map(([kind]) => kind);
    expect(leaked).toEqual([]);
  });

  it('contain no recognisable piece of a secret either', () => {
    const text = logText();
    for (const [kind, value] of secrets) {
      // License keys are JWS: their payload or signature alone would be a leak too.
      for (const part of value.split('.').filter((piece) => piece.length >= 16)) {
        expect(text.includes(part), `${kind} (part)`).toBe(false);
      }
      // Secrets are prefixed (kps_, kpt_, kpa_); the random half must not appear either.
      const random = value.split('_').at(-1)!;
      if (random.length >= 16) expect(text.includes(random), `${kind} (random part)`).toBe(false);
    }
  });
});

describe('redaction', () => {
  it('masks secret-named fields in anything logged by hand, whatever logger options were given', () => {
    provider.app.log.info(
      {
        password: 'hunter2-password',
        token: 'kps_manual-token',
        body: { licenseKey: 'eyJ.manual.key', transactionId: 'kpt_manual' },
      },
      'manual log line',
    );
    const line = logText()
      .split('\n')
      .find((l) => l.includes('manual log line'));
    expect(line).toBeDefined();
    for (const secret of ['hunter2-password', 'kps_manual-token', 'eyJ.manual.key', 'kpt_manual']) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('[redacted]');
  });
});
