/**
 * Contract parity: one scripted scenario of raw HTTP requests runs against the real
 * provider (server/test/harness.ts) and against the mock (startMockServer). For every
 * step the status, the content-type family, the problem `code`, selected headers and the
 * body's shape (keys recursively; values too, except IDs, tokens, timestamps, keys and
 * free-text `detail`, which are normalised) must be the same. A difference fails with a
 * list of the steps that differ and where.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLicense } from '../shared/license.ts';
import { startProvider } from '../server/test/harness.ts';
import { minimalPackage } from './mock.ts';
import { startMockServer } from './server.ts';

interface Target {
  name: 'provider' | 'mock';
  url: string;
  adminToken: string;
  /** Move the target's clock on (both start frozen relative to each step). */
  advance(ms: number): void;
  close(): Promise<void>;
}

interface Observation {
  step: string;
  status: number;
  contentType: string;
  code: string | null;
  headers: Record<string, string | null>;
  body: unknown;
  extra?: unknown;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- scenario code reads fields of whatever JSON came back
type Json = any;

interface StepOptions {
  token?: string;
  body?: unknown;
  raw?: string | Buffer;
  headers?: Record<string, string>;
  /** More facts to compare, computed from the parsed response (e.g. a license's lease). */
  extra?: (body: Json) => unknown | Promise<unknown>;
}

/** Values that differ between any two runs; compared by presence and type only. */
const VOLATILE_KEYS = new Set([
  'token',
  'transactionId',
  'licenseKey',
  'userId',
  'purchaseId',
  'copyId',
  'transferId',
  'jti',
  'sub',
  'usr',
  'kid',
  'x',
  'createdAt',
  'enrolledAt',
  'registeredAt',
  'publishedAt',
  'expiresAt',
  'iat',
  'exp',
  'detail',
  // readiness names the database: sqlite for the provider, memory for the mock
  'database',
]);

/** Headers whose presence and value must agree (content-length only for packages). */
const COMPARED_HEADERS = [
  'www-authenticate',
  'idempotent-replayed',
  'content-range',
  'accept-ranges',
  'etag',
  'x-checksum-sha256',
  'digest',
  'x-keyport-version',
  'content-disposition',
  'cache-control',
];

function normalise(value: unknown, key?: string): unknown {
  if (value === null) return null;
  if (key !== undefined && VOLATILE_KEYS.has(key) && typeof value !== 'object') return `<${typeof value}>`;
  if (Array.isArray(value)) return value.map((item) => normalise(item));
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((k) => [k, normalise(record[k], k)]),
    );
  }
  return value;
}

/** Every path at which two normalised values differ, as readable lines. */
function differences(a: unknown, b: unknown, path: string): string[] {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    if (Array.isArray(a) !== Array.isArray(b)) return [`${path}: provider=${show(a)} mock=${show(b)}`];
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    const lines: string[] = [];
    for (const key of keys) {
      const left = (a as Record<string, unknown>)[key];
      const right = (b as Record<string, unknown>)[key];
      const child = Array.isArray(a) ? `${path}[${key}]` : `${path}.${key}`;
      if (!(key in a)) lines.push(`${child}: only in mock (${show(right)})`);
      else if (!(key in b)) lines.push(`${child}: only in provider (${show(left)})`);
      else lines.push(...differences(left, right, child));
    }
    return lines;
  }
  return Object.is(a, b) ? [] : [`${path}: provider=${show(a)} mock=${show(b)}`];
}

const show = (value: unknown) => {
  const text = JSON.stringify(value);
  return text === undefined ? 'undefined' : text.length > 160 ? `${text.slice(0, 157)}...` : text;
};

const deviceId = (name: string) => createHash('sha256').update(`parity:${name}`).digest('hex');
const DESK = deviceId('desk');
const LAPTOP = deviceId('laptop');
const TABLET = deviceId('tablet');
const BOB_PHONE = deviceId('bob-phone');
const UNKNOWN_DEVICE = deviceId('nobody');
const GRACE_1 = deviceId('grace-1');
const GRACE_2 = deviceId('grace-2');
const GRACE_3 = deviceId('grace-3');

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * The scenario: every route of DESIGN §3, its success and the refusals a client meets.
 * Only raw HTTP; the same packages go to both targets, so hashes and sizes agree.
 */
async function runScenario(
  target: Target,
  packages: { small: Buffer; big: Buffer },
  observations: Observation[],
): Promise<void> {
  async function step(name: string, method: string, path: string, options: StepOptions = {}): Promise<Json> {
    // Every step happens a second after the last, so orderings by time are strict on both.
    target.advance(1000);
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | Buffer | undefined = options.raw;
    if (body === undefined && options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${target.url}${path}`, { method, headers, body });
    const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const bytes = Buffer.from(await response.arrayBuffer());
    let parsed: Json = null;
    let shown: unknown = null;
    if (type.includes('json')) {
      parsed = JSON.parse(bytes.toString('utf8'));
      shown = normalise(parsed);
    } else if (bytes.length > 0) {
      parsed = bytes;
      shown = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    }
    const compared = Object.fromEntries(COMPARED_HEADERS.map((h) => [h, response.headers.get(h)]));
    if (type === 'application/gzip') compared['content-length'] = response.headers.get('content-length');
    observations.push({
      step: `${method} ${path.split('?')[0]} — ${name}`,
      status: response.status,
      contentType: type,
      code: typeof parsed?.code === 'string' ? parsed.code : null,
      headers: compared,
      body: shown,
      ...(options.extra && response.ok ? { extra: await options.extra(parsed) } : {}),
    });
    return parsed;
  }

  const admin = target.adminToken;
  const gzip = { 'content-type': 'application/gzip' };

  // ── health and unknown routes ────────────────────────────────────────────────
  await step('liveness', 'GET', '/healthz');
  await step('readiness', 'GET', '/readyz');
  await step('unknown route', 'GET', '/v1/nope');
  await step('unknown method', 'PUT', '/v1/devices');
  await step('trailing slash', 'GET', '/healthz/');
  await step('trailing slash where an ID belongs', 'GET', '/v1/catalog/');
  await step('double slash', 'GET', '/v1/catalog//');

  // ── accounts and sessions ────────────────────────────────────────────────────
  const adaSignup = { email: 'ada@parity.test', password: 'correct horse battery', displayName: 'Ada' };
  const ada = (await step('create account', 'POST', '/v1/accounts', { body: adaSignup })).token as string;
  await step('email taken, other case', 'POST', '/v1/accounts', {
    body: { ...adaSignup, email: 'ADA@Parity.test' },
  });
  await step('invalid fields', 'POST', '/v1/accounts', {
    body: { email: 'nope', password: 'short', displayName: ' ', admin: true },
  });
  await step('no body', 'POST', '/v1/accounts');
  await step('malformed JSON', 'POST', '/v1/accounts', {
    raw: '{"email":',
    headers: { 'content-type': 'application/json' },
  });
  await step('empty JSON body', 'POST', '/v1/accounts', {
    raw: '',
    headers: { 'content-type': 'application/json' },
  });
  await step('prototype poisoning', 'POST', '/v1/accounts', {
    raw: '{"email":"x@parity.test","password":"long enough","displayName":"X","__proto__":{"a":1}}',
    headers: { 'content-type': 'application/json' },
  });
  await step('XML body', 'POST', '/v1/accounts', {
    raw: '<a/>',
    headers: { 'content-type': 'application/xml' },
  });
  await step('text body', 'POST', '/v1/accounts', {
    raw: 'hello',
    headers: { 'content-type': 'text/plain' },
  });
  await step('body over 64 KiB', 'POST', '/v1/accounts', {
    raw: JSON.stringify({ ...adaSignup, pad: 'x'.repeat(70_000) }),
    headers: { 'content-type': 'application/json' },
  });
  const bob = (
    await step('create second account', 'POST', '/v1/accounts', {
      body: { email: 'bob@parity.test', password: 'bob password 1', displayName: 'Bob' },
    })
  ).token as string;

  const adaLogin = { email: 'ADA@parity.test', password: adaSignup.password };
  const adaSecondSession = (await step('sign in', 'POST', '/v1/sessions', { body: adaLogin }))
    .token as string;
  await step('wrong password', 'POST', '/v1/sessions', { body: { ...adaLogin, password: 'wrong password' } });
  await step('unknown email', 'POST', '/v1/sessions', { body: { ...adaLogin, email: 'who@parity.test' } });
  await step('missing password', 'POST', '/v1/sessions', { body: { email: adaLogin.email } });

  await step('signed in', 'GET', '/v1/me', { token: ada });
  await step('no token', 'GET', '/v1/me');
  await step('unknown token', 'GET', '/v1/me', { token: 'kps_not-a-session' });
  await step('admin token is not a session', 'GET', '/v1/me', { token: admin });
  await step('Basic scheme', 'GET', '/v1/me', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
  await step('junk query is ignored', 'GET', '/v1/me?limit=-1&x[]=1', { token: ada });

  // ── devices ──────────────────────────────────────────────────────────────────
  const device = (id: string, name: string) => ({ deviceId: id, name, platform: 'linux' });
  await step('enrol', 'POST', '/v1/devices', { token: ada, body: device(DESK, 'Desk PC') });
  await step('enrol the same again', 'POST', '/v1/devices', { token: ada, body: device(DESK, 'Renamed?') });
  await step('enrol a second', 'POST', '/v1/devices', { token: ada, body: device(LAPTOP, 'Laptop') });
  await step('enrol a third', 'POST', '/v1/devices', { token: ada, body: device(TABLET, 'Tablet') });
  await step("another user's device", 'POST', '/v1/devices', { token: bob, body: device(DESK, 'Mine now') });
  await step('enrol for bob', 'POST', '/v1/devices', { token: bob, body: device(BOB_PHONE, 'Phone') });
  await step('bad device ID', 'POST', '/v1/devices', { token: ada, body: device('ABC', 'x') });
  await step('unknown field', 'POST', '/v1/devices', {
    token: ada,
    body: { ...device(deviceId('extra'), 'x'), userId: 'usr_x' },
  });
  await step('enrol without a session', 'POST', '/v1/devices', { body: device(deviceId('anon'), 'x') });
  await step('list', 'GET', '/v1/devices', { token: ada });
  await step('rename', 'PATCH', `/v1/devices/${LAPTOP}`, { token: ada, body: { name: '  New laptop ' } });
  await step("rename another user's", 'PATCH', `/v1/devices/${BOB_PHONE}`, {
    token: ada,
    body: { name: 'x' },
  });
  await step('rename unknown', 'PATCH', `/v1/devices/${UNKNOWN_DEVICE}`, { token: ada, body: { name: 'x' } });
  await step('rename: bad ID in path', 'PATCH', '/v1/devices/abc', { token: ada, body: { name: 'x' } });
  await step('rename: malformed escape in path', 'PATCH', '/v1/devices/%zz', {
    token: ada,
    body: { name: 'x' },
  });
  await step('rename: empty name', 'PATCH', `/v1/devices/${LAPTOP}`, { token: ada, body: { name: '' } });

  const carol = (
    await step('account at the device limit', 'POST', '/v1/accounts', {
      body: { email: 'carol@parity.test', password: 'carol password', displayName: 'Carol' },
    })
  ).token as string;
  for (let i = 1; i <= 5; i += 1) {
    await step(`enrol device ${i} of 5`, 'POST', '/v1/devices', {
      token: carol,
      body: device(deviceId(`carol-${i}`), `Carol ${i}`),
    });
  }
  await step('enrol a sixth', 'POST', '/v1/devices', {
    token: carol,
    body: device(deviceId('carol-6'), 'Six'),
  });
  await step('re-enrol one at the limit', 'POST', '/v1/devices', {
    token: carol,
    body: device(deviceId('carol-1'), 'Carol 1'),
  });

  // ── admin: software and releases ─────────────────────────────────────────────
  const software = (softwareId: string, priceCents: number, name: string) => ({
    softwareId,
    name,
    summary: `${name}: does what it says.`,
    priceCents,
    currency: 'USD',
  });
  const photo = software('photo-studio', 2999, 'Photo Studio');
  await step('create software without a token', 'POST', '/v1/admin/software', { body: photo });
  await step('create software with a session token', 'POST', '/v1/admin/software', {
    token: ada,
    body: photo,
  });
  await step('create software', 'POST', '/v1/admin/software', { token: admin, body: photo });
  await step('create software again', 'POST', '/v1/admin/software', { token: admin, body: photo });
  await step('create software: invalid', 'POST', '/v1/admin/software', {
    token: admin,
    body: { ...photo, softwareId: 'Bad_Id', priceCents: -1, currency: 'usd' },
  });
  const releases = '/v1/admin/software/photo-studio/releases';
  await step('upload without a token', 'POST', releases, { raw: packages.small, headers: gzip });
  await step('upload', 'POST', releases, { token: admin, raw: packages.small, headers: gzip });
  await step('upload the same version', 'POST', releases, {
    token: admin,
    raw: packages.small,
    headers: gzip,
  });
  await step('upload JSON', 'POST', releases, { token: admin, body: { not: 'a package' } });
  await step('upload bytes that are not gzip', 'POST', releases, {
    token: admin,
    raw: 'hello',
    headers: gzip,
  });
  await step('upload for unknown software', 'POST', '/v1/admin/software/no-such-thing/releases', {
    token: admin,
    raw: packages.small,
    headers: gzip,
  });
  await step('upload: bad software ID', 'POST', '/v1/admin/software/UPPER/releases', {
    token: admin,
    raw: packages.small,
    headers: gzip,
  });
  await step('create a second program', 'POST', '/v1/admin/software', {
    token: admin,
    body: software('big-program', 499, 'Big Program'),
  });
  await step('upload the second program', 'POST', '/v1/admin/software/big-program/releases', {
    token: admin,
    raw: packages.big,
    headers: { 'content-type': 'application/octet-stream' },
  });
  await step('create a program without a release', 'POST', '/v1/admin/software', {
    token: admin,
    body: software('vapourware', 100, 'Vapourware'),
  });

  // ── catalog ──────────────────────────────────────────────────────────────────
  await step('list', 'GET', '/v1/catalog');
  await step('search, any case', 'GET', '/v1/catalog?q=PHOTO');
  await step('search with a LIKE wildcard', 'GET', `/v1/catalog?q=${encodeURIComponent('%')}`);
  const page1 = await step('first page', 'GET', '/v1/catalog?limit=1');
  await step('second page', 'GET', `/v1/catalog?limit=1&cursor=${page1.nextCursor}`);
  await step('garbage cursor', 'GET', '/v1/catalog?cursor=not-a-cursor');
  await step('limit 0', 'GET', '/v1/catalog?limit=0');
  await step('repeated limit', 'GET', '/v1/catalog?limit=1&limit=2');
  await step('unknown parameter', 'GET', '/v1/catalog?sort=price&limit=abc');
  await step('detail', 'GET', '/v1/catalog/photo-studio');
  await step('detail: unknown', 'GET', '/v1/catalog/no-such-thing');
  await step('detail: no release yet', 'GET', '/v1/catalog/vapourware');
  await step('detail: not a slug', 'GET', '/v1/catalog/UPPER-case');

  // ── purchases and registrations ──────────────────────────────────────────────
  const buy = (softwareId: string, on: string) => ({ softwareId, deviceId: on });
  const key = { 'idempotency-key': 'buy-photo-0001' };
  await step('buy', 'POST', '/v1/purchases', { token: ada, body: buy('photo-studio', DESK), headers: key });
  await step('retry with the same key', 'POST', '/v1/purchases', {
    token: ada,
    body: buy('photo-studio', DESK),
    headers: key,
  });
  await step('same key, other request', 'POST', '/v1/purchases', {
    token: ada,
    body: buy('big-program', DESK),
    headers: key,
  });
  await step('buy again', 'POST', '/v1/purchases', { token: ada, body: buy('photo-studio', DESK) });
  await step('buy again for another device', 'POST', '/v1/purchases', {
    token: ada,
    body: buy('photo-studio', LAPTOP),
  });
  await step('unenrolled device', 'POST', '/v1/purchases', {
    token: ada,
    body: buy('big-program', UNKNOWN_DEVICE),
  });
  await step("another user's device", 'POST', '/v1/purchases', {
    token: ada,
    body: buy('big-program', BOB_PHONE),
  });
  await step('unknown software', 'POST', '/v1/purchases', { token: ada, body: buy('no-such-thing', LAPTOP) });
  await step('software without a release', 'POST', '/v1/purchases', {
    token: ada,
    body: buy('vapourware', LAPTOP),
  });
  await step('no session', 'POST', '/v1/purchases', { body: buy('big-program', LAPTOP) });
  await step('invalid body', 'POST', '/v1/purchases', {
    token: ada,
    body: { softwareId: 42, priceCents: 0 },
  });
  await step('bad Idempotency-Key', 'POST', '/v1/purchases', {
    token: ada,
    body: buy('big-program', LAPTOP),
    headers: { 'idempotency-key': 'short' },
  });
  await step('buy a second program', 'POST', '/v1/purchases', {
    token: ada,
    body: buy('big-program', LAPTOP),
  });
  await step('registrations', 'GET', '/v1/registrations', { token: ada });
  await step('registrations of someone else', 'GET', '/v1/registrations', { token: bob });

  // ── downloads ────────────────────────────────────────────────────────────────
  const download = `/v1/downloads/big-program?deviceId=${LAPTOP}`;
  const whole = await step('whole package', 'GET', download, { token: ada });
  const size = Buffer.isBuffer(whole) ? whole.length : 0;
  const etag = `"${Buffer.isBuffer(whole) ? createHash('sha256').update(whole).digest('hex') : 'none'}"`;
  await step('headers only', 'HEAD', download, { token: ada });
  await step('first 100 bytes', 'GET', download, { token: ada, headers: { range: 'bytes=0-99' } });
  await step('resume with If-Range', 'GET', download, {
    token: ada,
    headers: { range: 'bytes=100-', 'if-range': etag },
  });
  await step('stale If-Range', 'GET', download, {
    token: ada,
    headers: { range: 'bytes=100-', 'if-range': `"${'0'.repeat(64)}"` },
  });
  await step('suffix range', 'GET', download, { token: ada, headers: { range: 'bytes=-50' } });
  await step('multiple ranges', 'GET', download, { token: ada, headers: { range: 'bytes=0-1,5-9' } });
  await step('range past the end', 'GET', download, {
    token: ada,
    headers: { range: `bytes=${size}-` },
  });
  await step('device the copy is not on', 'GET', `/v1/downloads/big-program?deviceId=${DESK}`, {
    token: ada,
  });
  await step('software not bought', 'GET', `/v1/downloads/vapourware?deviceId=${LAPTOP}`, { token: ada });
  await step('missing deviceId', 'GET', '/v1/downloads/big-program', { token: ada });
  await step('extra query field', 'GET', `${download}&extra=1`, { token: ada });
  await step("someone else's copy", 'GET', download, { token: bob });
  await step('no session', 'GET', download);

  // ── licenses ─────────────────────────────────────────────────────────────────
  const jwks = await step('public keys', 'GET', '/v1/licenses/jwks');
  const triple = (softwareId: string, on: string) => ({ softwareId, deviceId: on });
  const checkLicense = async (body: Json) => {
    const claims = await verifyLicense(body.licenseKey, jwks, { issuer: 'keyport' });
    return {
      verifies: true,
      leaseSeconds: claims.exp - claims.iat,
      sameClaims: claims.jti === body.claims.jti,
    };
  };
  const first = await step('request', 'POST', '/v1/licenses/requests', {
    token: ada,
    body: triple('photo-studio', DESK),
  });
  await step('redeem', 'POST', '/v1/licenses/redeem', {
    token: ada,
    body: { transactionId: first.transactionId, deviceId: DESK },
    extra: checkLicense,
  });
  await step('redeem again', 'POST', '/v1/licenses/redeem', {
    token: ada,
    body: { transactionId: first.transactionId, deviceId: DESK },
  });
  await step('redeem a made-up ID', 'POST', '/v1/licenses/redeem', {
    token: ada,
    body: { transactionId: 'kpt_made-up', deviceId: DESK },
  });
  const second = await step('request another', 'POST', '/v1/licenses/requests', {
    token: ada,
    body: triple('photo-studio', DESK),
  });
  await step('redeem from another device', 'POST', '/v1/licenses/redeem', {
    token: ada,
    body: { transactionId: second.transactionId, deviceId: LAPTOP },
  });
  await step('redeem as another user', 'POST', '/v1/licenses/redeem', {
    token: bob,
    body: { transactionId: second.transactionId, deviceId: BOB_PHONE },
  });
  target.advance(11 * MINUTE);
  await step('redeem after 11 minutes', 'POST', '/v1/licenses/redeem', {
    token: ada,
    body: { transactionId: second.transactionId, deviceId: DESK },
  });
  await step('request where not registered', 'POST', '/v1/licenses/requests', {
    token: ada,
    body: triple('photo-studio', LAPTOP),
  });
  await step('request: invalid body', 'POST', '/v1/licenses/requests', { token: ada, body: [] });
  await step('request without a session', 'POST', '/v1/licenses/requests', {
    body: triple('photo-studio', DESK),
  });
  await step('refresh', 'POST', '/v1/licenses/refresh', {
    token: ada,
    body: triple('photo-studio', DESK),
    extra: checkLicense,
  });
  await step('refresh where never held', 'POST', '/v1/licenses/refresh', {
    token: ada,
    body: triple('big-program', DESK),
  });

  // ── transfers ────────────────────────────────────────────────────────────────
  const move = (softwareId: string, from: string, to: string) => ({
    softwareId,
    sourceDeviceId: from,
    destinationDeviceId: to,
  });
  await step('same device', 'POST', '/v1/transfers', { token: ada, body: move('photo-studio', DESK, DESK) });
  await step('not on the source', 'POST', '/v1/transfers', {
    token: ada,
    body: move('photo-studio', LAPTOP, TABLET),
  });
  await step('never bought', 'POST', '/v1/transfers', {
    token: ada,
    body: move('never-bought', DESK, LAPTOP),
  });
  await step('already on the destination', 'POST', '/v1/transfers', {
    token: ada,
    body: move('big-program', DESK, LAPTOP),
  });
  await step("to another user's device", 'POST', '/v1/transfers', {
    token: ada,
    body: move('photo-studio', DESK, BOB_PHONE),
  });
  await step('from an unknown device', 'POST', '/v1/transfers', {
    token: ada,
    body: move('photo-studio', UNKNOWN_DEVICE, LAPTOP),
  });
  const moveKey = { 'idempotency-key': 'move-photo-0001' };
  await step('move', 'POST', '/v1/transfers', {
    token: ada,
    body: move('photo-studio', DESK, LAPTOP),
    headers: moveKey,
  });
  await step('retry with the same key', 'POST', '/v1/transfers', {
    token: ada,
    body: move('photo-studio', DESK, LAPTOP),
    headers: moveKey,
  });
  await step('same key, other request', 'POST', '/v1/transfers', {
    token: ada,
    body: move('photo-studio', LAPTOP, TABLET),
    headers: moveKey,
  });
  await step('move again without a key', 'POST', '/v1/transfers', {
    token: ada,
    body: move('photo-studio', DESK, LAPTOP),
  });
  await step('invalid body', 'POST', '/v1/transfers', {
    token: ada,
    body: { ...move('photo-studio', DESK, 'NOTHEX'), extra: 1 },
  });
  await step('no session', 'POST', '/v1/transfers', { body: move('photo-studio', DESK, LAPTOP) });
  await step('refresh on the source', 'POST', '/v1/licenses/refresh', {
    token: ada,
    body: triple('photo-studio', DESK),
  });
  await step('request on the source', 'POST', '/v1/licenses/requests', {
    token: ada,
    body: triple('photo-studio', DESK),
  });
  await step('download on the source', 'GET', `/v1/downloads/photo-studio?deviceId=${DESK}`, { token: ada });
  await step('refresh on the destination', 'POST', '/v1/licenses/refresh', {
    token: ada,
    body: triple('photo-studio', LAPTOP),
    extra: checkLicense,
  });
  await step('registrations after the move', 'GET', '/v1/registrations', { token: ada });
  await step('history', 'GET', '/v1/transfers', { token: ada });
  await step('history of someone else', 'GET', '/v1/transfers', { token: bob });
  await step('history without a session', 'GET', '/v1/transfers');

  // ── retiring devices ─────────────────────────────────────────────────────────
  await step('retire a device with software', 'DELETE', `/v1/devices/${LAPTOP}`, { token: ada });
  await step('retire an empty device', 'DELETE', `/v1/devices/${DESK}`, { token: ada });
  await step('retire it again', 'DELETE', `/v1/devices/${DESK}`, { token: ada });
  await step("retire another user's", 'DELETE', `/v1/devices/${BOB_PHONE}`, { token: ada });
  await step('retire: bad ID', 'DELETE', '/v1/devices/abc', { token: ada });
  await step('retire: malformed JSON body', 'DELETE', `/v1/devices/${TABLET}`, {
    token: ada,
    raw: '{"a":',
    headers: { 'content-type': 'application/json' },
  });
  await step('devices after retiring', 'GET', '/v1/devices', { token: ada });
  await step("bob's devices untouched", 'GET', '/v1/devices', { token: bob });

  // ── admin: provisioning and the audit log ────────────────────────────────────
  const grace = {
    email: 'Grace@parity.test',
    displayName: 'Grace',
    password: 'grace password',
    devices: [device(GRACE_1, 'Office'), device(GRACE_2, 'Home')],
  };
  await step('provision without a token', 'POST', '/v1/admin/provision', { body: grace });
  await step('provision', 'POST', '/v1/admin/provision', { token: admin, body: grace });
  await step('provision again, one device more', 'POST', '/v1/admin/provision', {
    token: admin,
    body: { ...grace, password: undefined, devices: [device(GRACE_2, 'Home'), device(GRACE_3, 'Lab')] },
  });
  await step("provision another account's device", 'POST', '/v1/admin/provision', {
    token: admin,
    body: { ...grace, devices: [device(LAPTOP, 'Stolen')] },
  });
  await step('provision: invalid', 'POST', '/v1/admin/provision', {
    token: admin,
    body: { email: 'nope', displayName: '', devices: [{ deviceId: 'x' }] },
  });
  await step('provisioned account signs in', 'POST', '/v1/sessions', {
    body: { email: 'grace@parity.test', password: 'grace password' },
  });
  await step('events without a token', 'GET', '/v1/admin/events');
  await step('events with a session token', 'GET', '/v1/admin/events', { token: ada });
  await step('events', 'GET', '/v1/admin/events', { token: admin });
  await step('events page', 'GET', '/v1/admin/events?after=3&limit=4', { token: admin });
  await step('events: bad limit', 'GET', '/v1/admin/events?limit=0', { token: admin });

  // ── signing out, and sessions ending ─────────────────────────────────────────
  await step('sign out', 'DELETE', '/v1/sessions/current', { token: adaSecondSession });
  await step('after signing out', 'GET', '/v1/me', { token: adaSecondSession });
  await step('the other session still works', 'GET', '/v1/me', { token: ada });
  target.advance(31 * DAY);
  await step('31 days later', 'GET', '/v1/me', { token: ada });
}

/** The scenario's observations; if it breaks off, a last observation says why. */
async function observe(target: Target, packages: { small: Buffer; big: Buffer }): Promise<Observation[]> {
  const observations: Observation[] = [];
  try {
    await runScenario(target, packages, observations);
  } catch (error) {
    observations.push({
      step: 'the scenario broke off',
      status: 0,
      contentType: '',
      code: null,
      headers: {},
      body: String(error),
    });
  }
  return observations;
}

describe('contract parity: the mock answers like the real provider', () => {
  const targets: Target[] = [];
  let packages: { small: Buffer; big: Buffer };

  beforeAll(async () => {
    packages = {
      small: await minimalPackage('1.0.0'),
      // Incompressible filler, so ranges are meaningful.
      big: await minimalPackage('2.1.0', { 'data.bin': randomBytes(6000).toString('base64') }),
    };
    const provider = await startProvider();
    targets.push({
      name: 'provider',
      url: provider.url,
      adminToken: provider.adminToken,
      advance: (ms) => provider.clock.advance(ms),
      close: () => provider.close(),
    });
    const mock = await startMockServer();
    targets.push({
      name: 'mock',
      url: mock.url,
      adminToken: mock.adminToken,
      advance: (ms) => mock.mock.clock.advance(ms),
      close: () => mock.close(),
    });
  });
  afterAll(async () => {
    await Promise.all(targets.map((target) => target.close()));
  });

  it('gives the same status, content type, code, headers and body shape at every step', async () => {
    // One after the other, and a scenario that breaks off still reports how far it got.
    const [provider, mock] = [await observe(targets[0]!, packages), await observe(targets[1]!, packages)];
    const report: string[] = [];
    for (let i = 0; i < Math.max(provider!.length, mock!.length); i += 1) {
      const left = provider![i];
      const right = mock![i];
      const lines = differences(
        left && { ...left, step: undefined },
        right && { ...right, step: undefined },
        'response',
      );
      if (lines.length > 0)
        report.push(`step ${i + 1} "${left?.step ?? right?.step}":\n  ${lines.join('\n  ')}`);
    }
    expect(provider!.length).toBeGreaterThan(150);
    expect(report, `the mock differs from the provider:\n\n${report.join('\n\n')}\n`).toEqual([]);
  });
});
