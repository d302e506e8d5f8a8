/**
 * Whatever a client sends, the provider answers with a 4xx problem+json that has a
 * `code` — never a 500. Malformed JSON, empty bodies, wrong types, oversized fields and
 * bodies, unknown fields (bodies are strict), bad IDs in params and query, wrong
 * content types, silly query numbers; and a sweep over every route in DESIGN §3.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../shared/provider-api/error-codes.ts';
import {
  createUser,
  enrol,
  publishSoftware,
  randomDeviceId,
  startProvider,
  type ApiResponse,
  type TestProvider,
} from '../../test-support/provider-harness.ts';
import { expectProblem } from '../../test-support/problem-assertions.ts';

let provider: TestProvider;
let token: string;
let deviceId: string;
let otherDevice: string;
const SW = 'valid-app';

beforeAll(async () => {
  provider = await startProvider();
  const user = await createUser(provider, 'validator');
  token = user.token;
  deviceId = await enrol(provider, token, 'Main');
  otherDevice = await enrol(provider, token, 'Spare');
  await publishSoftware(provider, SW);
  const bought = await provider.api('POST', '/v1/purchases', { token, body: { softwareId: SW, deviceId } });
  expect(bought.status).toBe(201);
});
afterAll(() => provider.close());

/** The `errors[]` paths of a VALIDATION problem. */
function errorPaths(response: ApiResponse): string[] {
  return (response.body.errors ?? []).map((e: { path: string }) => e.path);
}

const huge = (n: number) => 'x'.repeat(n);

describe('request bodies', () => {
  it('refuses malformed JSON', async () => {
    for (const rawBody of ['{', '{"softwareId": "valid-app",}', "{'a': 1}", 'nul', '{"a":1}}', '\u0000']) {
      const response = await provider.api('POST', '/v1/purchases', {
        token,
        rawBody,
        headers: { 'content-type': 'application/json' },
      });
      expectProblem(response, 400, 'VALIDATION');
    }
  });

  it('refuses an empty body where one is required', async () => {
    const empty = await provider.api('POST', '/v1/purchases', {
      token,
      rawBody: '',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(empty, 400, 'VALIDATION');
    const none = await provider.api('POST', '/v1/purchases', { token });
    expectProblem(none, 400, 'VALIDATION');
    const emptyObject = await provider.api('POST', '/v1/purchases', { token, body: {} });
    expectProblem(emptyObject, 400, 'VALIDATION');
    expect(errorPaths(emptyObject)).toEqual(expect.arrayContaining(['body.softwareId', 'body.deviceId']));
  });

  it('refuses bodies that are not objects', async () => {
    for (const body of [null, [], 'valid-app', 42, true, [{ softwareId: SW, deviceId }]]) {
      const response = await provider.api('POST', '/v1/licenses/requests', { token, body });
      expectProblem(response, 400, 'VALIDATION');
    }
  });

  it('refuses wrong types and names the field in errors[]', async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['/v1/purchases', { softwareId: 42, deviceId }, 'body.softwareId'],
      ['/v1/purchases', { softwareId: SW, deviceId: ['a'] }, 'body.deviceId'],
      ['/v1/purchases', { softwareId: SW, deviceId: { $ne: null } }, 'body.deviceId'],
      ['/v1/licenses/redeem', { transactionId: 123, deviceId }, 'body.transactionId'],
      ['/v1/devices', { deviceId, name: 7, platform: 'linux' }, 'body.name'],
      ['/v1/devices', { deviceId, name: 'x', platform: null }, 'body.platform'],
      ['/v1/accounts', { email: 'a@b.test', password: 12345678, displayName: 'x' }, 'body.password'],
      ['/v1/accounts', { email: 'not an email', password: 'long enough', displayName: 'x' }, 'body.email'],
      [
        '/v1/transfers',
        { softwareId: SW, sourceDeviceId: deviceId, destinationDeviceId: 'NOTHEX' },
        'body.destinationDeviceId',
      ],
    ];
    for (const [route, body, field] of cases) {
      const response = await provider.api('POST', route, { token, body });
      expectProblem(response, 400, 'VALIDATION');
      expect(errorPaths(response), `${route} ${JSON.stringify(body)}`).toContain(field);
      expect(response.body.detail).toContain(field);
    }
  });

  it('refuses wrong number types in admin bodies', async () => {
    for (const priceCents of ['100', 1.5, -1, 1e20, null]) {
      const response = await provider.api('POST', '/v1/admin/software', {
        token: provider.adminToken,
        body: { softwareId: 'priced', name: 'P', summary: '', priceCents, currency: 'USD' },
      });
      expectProblem(response, 400, 'VALIDATION');
      expect(errorPaths(response)).toContain('body.priceCents');
    }
    const currency = await provider.api('POST', '/v1/admin/software', {
      token: provider.adminToken,
      body: { softwareId: 'priced', name: 'P', summary: '', priceCents: 1, currency: 'usd' },
    });
    expect(errorPaths(currency)).toContain('body.currency');
  });

  it('refuses unknown fields (bodies are strict)', async () => {
    const cases: Array<[string, string, Record<string, unknown>]> = [
      ['POST', '/v1/purchases', { softwareId: SW, deviceId, priceCents: 0 }],
      ['POST', '/v1/devices', { deviceId: randomDeviceId(), name: 'x', platform: 'linux', userId: 'usr_x' }],
      ['PATCH', `/v1/devices/${deviceId}`, { name: 'x', deviceId: otherDevice }],
      ['POST', '/v1/licenses/requests', { softwareId: SW, deviceId, lease: 1e9 }],
      [
        'POST',
        '/v1/accounts',
        { email: 'x@example.test', password: 'long enough', displayName: 'x', admin: true },
      ],
    ];
    for (const [method, route, body] of cases) {
      const response = await provider.api(method, route, { token, body });
      expectProblem(response, 400, 'VALIDATION');
      const extra = Object.keys(body).at(-1)!;
      expect(JSON.stringify(response.body.errors)).toContain(extra);
    }
    // The strict refusal really stopped the request: the device keeps its name.
    const devices = await provider.api('GET', '/v1/devices', { token });
    expect(devices.body.devices.find((d: { deviceId: string }) => d.deviceId === deviceId).name).toBe('Main');
  });

  it('refuses prototype-poisoning keys', async () => {
    const response = await provider.api('POST', '/v1/purchases', {
      token,
      rawBody: `{"softwareId":"${SW}","deviceId":"${otherDevice}","__proto__":{"admin":true}}`,
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(response, 400, 'VALIDATION');
    const constructor = await provider.api('POST', '/v1/purchases', {
      token,
      rawBody: `{"softwareId":"${SW}","deviceId":"${otherDevice}","constructor":{"prototype":{"admin":true}}}`,
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(constructor, 400, 'VALIDATION');
  });

  it('refuses oversized fields', async () => {
    const cases: Array<[string, string, Record<string, unknown>, string]> = [
      [
        'POST',
        '/v1/devices',
        { deviceId: randomDeviceId(), name: huge(10_000), platform: 'linux' },
        'body.name',
      ],
      [
        'POST',
        '/v1/devices',
        { deviceId: randomDeviceId(), name: 'x', platform: huge(10_000) },
        'body.platform',
      ],
      ['PATCH', `/v1/devices/${deviceId}`, { name: huge(10_000) }, 'body.name'],
      [
        'POST',
        '/v1/accounts',
        { email: 'big@example.test', password: huge(10_000), displayName: 'x' },
        'body.password',
      ],
      [
        'POST',
        '/v1/accounts',
        { email: `${huge(10_000)}@example.test`, password: 'long enough', displayName: 'x' },
        'body.email',
      ],
      [
        'POST',
        '/v1/accounts',
        { email: 'big@example.test', password: 'long enough', displayName: huge(10_000) },
        'body.displayName',
      ],
      ['POST', '/v1/sessions', { email: 'big@example.test', password: huge(10_000) }, 'body.password'],
      ['POST', '/v1/licenses/redeem', { transactionId: huge(10_000), deviceId }, 'body.transactionId'],
      ['POST', '/v1/purchases', { softwareId: `a${huge(10_000)}`, deviceId }, 'body.softwareId'],
    ];
    for (const [method, route, body, field] of cases) {
      const response = await provider.api(method, route, { token, body });
      expectProblem(response, 400, 'VALIDATION');
      expect(errorPaths(response), route).toContain(field);
    }
    const summary = await provider.api('POST', '/v1/admin/software', {
      token: provider.adminToken,
      body: { softwareId: 'wordy', name: 'W', summary: huge(10_000), priceCents: 1, currency: 'USD' },
    });
    expectProblem(summary, 400, 'VALIDATION');
    expect(errorPaths(summary)).toContain('body.summary');
    const manyDevices = await provider.api('POST', '/v1/admin/provision', {
      token: provider.adminToken,
      body: {
        email: 'many@example.test',
        displayName: 'Many',
        devices: Array.from({ length: 101 }, () => ({
          deviceId: randomDeviceId(),
          name: 'd',
          platform: 'linux',
        })),
      },
    });
    expectProblem(manyDevices, 400, 'VALIDATION');
    expect(errorPaths(manyDevices)).toContain('body.devices');
  });

  it('refuses a 1 MB body with 413 PAYLOAD_TOO_LARGE', async () => {
    const body = JSON.stringify({ softwareId: SW, deviceId, pad: huge(1024 * 1024) });
    for (const route of ['/v1/purchases', '/v1/accounts', '/v1/licenses/redeem']) {
      const response = await provider.api('POST', route, {
        token,
        rawBody: body,
        headers: { 'content-type': 'application/json' },
      });
      expectProblem(response, 413, 'PAYLOAD_TOO_LARGE');
    }
  });

  it('refuses deeply nested JSON without falling over', async () => {
    const depth = 20_000;
    const response = await provider.api('POST', '/v1/purchases', {
      token,
      rawBody: `${'['.repeat(depth)}${']'.repeat(depth)}`,
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(response, 400, 'VALIDATION');
  });

  it('refuses content types other than JSON', async () => {
    const body = JSON.stringify({ softwareId: SW, deviceId: otherDevice });
    for (const type of [
      'application/xml',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'image/png',
    ]) {
      const response = await provider.api('POST', '/v1/purchases', {
        token,
        rawBody: body,
        headers: { 'content-type': type },
      });
      expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    const text = await provider.api('POST', '/v1/purchases', {
      token,
      rawBody: body,
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBeGreaterThanOrEqual(400);
    expect(text.status).toBeLessThan(500);
    expect(text.headers.get('content-type')).toContain('application/problem+json');
    // None of them bought anything.
    const registrations = await provider.api('GET', '/v1/registrations', { token });
    expect(registrations.body.registrations).toHaveLength(1);
  });

  it('refuses a bad Idempotency-Key header', async () => {
    for (const key of ['short', huge(201), 'has spaces in it']) {
      const response = await provider.api('POST', '/v1/purchases', {
        token,
        body: { softwareId: SW, deviceId: otherDevice },
        headers: { 'idempotency-key': key },
      });
      expectProblem(response, 400, 'VALIDATION');
      expect(JSON.stringify(response.body.errors)).toContain('idempotency-key');
    }
  });
});

describe('params and query strings', () => {
  const badDeviceIds = ['abc', 'A'.repeat(64), 'g'.repeat(64), `${'a'.repeat(64)}0`, '%00', '..%2F..%2Fetc'];
  const badSoftwareIds = [
    'A',
    'UPPER-case',
    '-leading-dash',
    'has_underscore',
    `a${'b'.repeat(63)}`,
    '%2E%2E',
    'a%20b',
  ];

  it('refuses bad device IDs in params', async () => {
    for (const bad of badDeviceIds) {
      for (const [method, body] of [
        ['PATCH', { name: 'x' }],
        ['DELETE', undefined],
      ] as const) {
        const response = await provider.api(method, `/v1/devices/${bad}`, { token, body });
        expect(response.status, `${method} ${bad}`).toBeLessThan(500);
        expect([400, 404]).toContain(response.status);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
        if (response.status === 400) expect(errorPaths(response)).toContain('params.deviceId');
      }
    }
    const plain = await provider.api('PATCH', '/v1/devices/abc', { token, body: { name: 'x' } });
    expectProblem(plain, 400, 'VALIDATION');
    expect(errorPaths(plain)).toContain('params.deviceId');
  });

  it('refuses bad software IDs in params', async () => {
    for (const bad of badSoftwareIds) {
      for (const route of [`/v1/catalog/${bad}`, `/v1/downloads/${bad}?deviceId=${deviceId}`]) {
        const response = await provider.api('GET', route, { token });
        expect(response.status, route).toBeLessThan(500);
        expect([400, 404]).toContain(response.status);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
      }
    }
    const upper = await provider.api('GET', '/v1/catalog/UPPER-case');
    expectProblem(upper, 400, 'VALIDATION');
    expect(errorPaths(upper)).toContain('params.softwareId');
    const release = await provider.api('POST', '/v1/admin/software/UPPER/releases', {
      token: provider.adminToken,
      rawBody: Buffer.from([0x1f, 0x8b]),
      headers: { 'content-type': 'application/gzip' },
    });
    expectProblem(release, 400, 'VALIDATION');
    expect(errorPaths(release)).toContain('params.softwareId');
  });

  it('refuses bad device IDs in the download query', async () => {
    for (const query of [
      '',
      '?deviceId=',
      '?deviceId=abc',
      `?deviceId=${deviceId.toUpperCase()}`,
      `?deviceId=${deviceId}&deviceId=${deviceId}`,
      `?deviceId=${deviceId}&extra=1`,
    ]) {
      const response = await provider.api('GET', `/v1/downloads/${SW}${query}`, { token });
      expectProblem(response, 400, 'VALIDATION');
      expect(JSON.stringify(response.body.errors), query).toContain('querystring');
    }
  });

  it('refuses negative, huge, fractional and non-numeric limits', async () => {
    const catalogLimits = [
      '-1',
      '0',
      '101',
      '1e9',
      '99999999999999999999',
      '1.5',
      'abc',
      'NaN',
      'Infinity',
      '',
      '0x10',
      '1e1',
      ' 5',
      '0b11',
    ];
    for (const limit of catalogLimits) {
      const response = await provider.api('GET', `/v1/catalog?limit=${encodeURIComponent(limit)}`);
      expectProblem(response, 400, 'VALIDATION');
      expect(errorPaths(response), limit).toContain('querystring.limit');
    }
    const repeated = await provider.api('GET', '/v1/catalog?limit=1&limit=2');
    expectProblem(repeated, 400, 'VALIDATION');
    for (const query of [
      'limit=-5',
      'limit=501',
      'after=-1',
      'after=abc',
      'after=1.5',
      'limit=1e400',
      'after=',
      'after=0x1',
    ]) {
      const response = await provider.api('GET', `/v1/admin/events?${query}`, { token: provider.adminToken });
      expectProblem(response, 400, 'VALIDATION');
    }
  });

  it('refuses bad cursors, long searches and unknown query fields in the catalog', async () => {
    for (const query of [
      'cursor=not-a-cursor',
      `cursor=${Buffer.from('{"a":1}').toString('base64url')}`,
      `cursor=${Buffer.from('[1,2]').toString('base64url')}`,
      `cursor=${huge(201)}`,
      `q=${huge(101)}`,
      'sort=price',
    ]) {
      const response = await provider.api('GET', `/v1/catalog?${query}`);
      expectProblem(response, 400, 'VALIDATION');
    }
  });

  it('treats LIKE wildcards and quotes in searches as plain text', async () => {
    for (const q of ['%', '_', "'", '\\', '%25%27%3B--', '"; drop table software; --']) {
      const response = await provider.api('GET', `/v1/catalog?q=${encodeURIComponent(q)}`);
      expect(response.status, q).toBe(200);
      expect(response.body.items).toEqual([]);
    }
  });
});

describe('authorization headers', () => {
  it('refuses malformed bearer tokens with 401, never 500', async () => {
    for (const authorization of [
      'Bearer',
      'Bearer ',
      `Bearer ${huge(10_000)}`,
      'Basic dXNlcjpwYXNz',
      'Bearer a b',
      'bearer\tx',
    ]) {
      const response = await provider.api('GET', '/v1/me', { headers: { authorization } });
      expectProblem(response, 401, 'UNAUTHENTICATED');
    }
  });
});

/**
 * Every route of DESIGN §3, with the credential and a valid path it needs, so the only
 * thing wrong with each request in the sweep is its body. One line per route.
 */
interface Route {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: () => string;
  auth: 'none' | 'user' | 'admin';
  /** What the route reads: a JSON body, the gzip bytes of a release, or nothing. */
  body: 'json' | 'gzip' | 'none';
}

// prettier-ignore
const ROUTES: Route[] = [
  { name: 'POST /v1/accounts', method: 'POST', path: () => '/v1/accounts', auth: 'none', body: 'json' },
  { name: 'POST /v1/sessions', method: 'POST', path: () => '/v1/sessions', auth: 'none', body: 'json' },
  { name: 'DELETE /v1/sessions/current', method: 'DELETE', path: () => '/v1/sessions/current', auth: 'user', body: 'none' },
  { name: 'GET /v1/me', method: 'GET', path: () => '/v1/me', auth: 'user', body: 'none' },
  { name: 'POST /v1/devices', method: 'POST', path: () => '/v1/devices', auth: 'user', body: 'json' },
  { name: 'GET /v1/devices', method: 'GET', path: () => '/v1/devices', auth: 'user', body: 'none' },
  { name: 'PATCH /v1/devices/:deviceId', method: 'PATCH', path: () => `/v1/devices/${deviceId}`, auth: 'user', body: 'json' },
  { name: 'DELETE /v1/devices/:deviceId', method: 'DELETE', path: () => `/v1/devices/${otherDevice}`, auth: 'user', body: 'none' },
  { name: 'POST /v1/devices/:deviceId/recover', method: 'POST', path: () => `/v1/devices/${deviceId}/recover`, auth: 'user', body: 'json' },
  { name: 'POST /v1/devices/recognitions', method: 'POST', path: () => '/v1/devices/recognitions', auth: 'user', body: 'json' },
  { name: 'GET /v1/catalog', method: 'GET', path: () => '/v1/catalog', auth: 'none', body: 'none' },
  { name: 'GET /v1/catalog/:softwareId', method: 'GET', path: () => `/v1/catalog/${SW}`, auth: 'none', body: 'none' },
  { name: 'POST /v1/purchases', method: 'POST', path: () => '/v1/purchases', auth: 'user', body: 'json' },
  { name: 'GET /v1/registrations', method: 'GET', path: () => '/v1/registrations', auth: 'user', body: 'none' },
  { name: 'GET /v1/downloads/:softwareId', method: 'GET', path: () => `/v1/downloads/${SW}?deviceId=${deviceId}`, auth: 'user', body: 'none' },
  { name: 'POST /v1/licenses/requests', method: 'POST', path: () => '/v1/licenses/requests', auth: 'user', body: 'json' },
  { name: 'POST /v1/licenses/redeem', method: 'POST', path: () => '/v1/licenses/redeem', auth: 'user', body: 'json' },
  { name: 'POST /v1/licenses/refresh', method: 'POST', path: () => '/v1/licenses/refresh', auth: 'user', body: 'json' },
  { name: 'GET /v1/licenses/jwks', method: 'GET', path: () => '/v1/licenses/jwks', auth: 'none', body: 'none' },
  { name: 'POST /v1/transfers', method: 'POST', path: () => '/v1/transfers', auth: 'user', body: 'json' },
  { name: 'GET /v1/transfers', method: 'GET', path: () => '/v1/transfers', auth: 'user', body: 'none' },
  { name: 'POST /v1/admin/provision', method: 'POST', path: () => '/v1/admin/provision', auth: 'admin', body: 'json' },
  { name: 'POST /v1/admin/software', method: 'POST', path: () => '/v1/admin/software', auth: 'admin', body: 'json' },
  { name: 'POST /v1/admin/software/:softwareId/releases', method: 'POST', path: () => `/v1/admin/software/${SW}/releases`, auth: 'admin', body: 'gzip' },
  { name: 'GET /v1/admin/events', method: 'GET', path: () => '/v1/admin/events', auth: 'admin', body: 'none' },
  { name: 'GET /healthz', method: 'GET', path: () => '/healthz', auth: 'none', body: 'none' },
  { name: 'GET /readyz', method: 'GET', path: () => '/readyz', auth: 'none', body: 'none' },
];

interface BadBody {
  name: string;
  rawBody: string;
  contentType: string;
  /** The answer from a route that reads JSON. */
  status: number;
  code: ErrorCode;
  /**
   * Broken in itself (unparseable, or a type no route reads), so refused by every route.
   * A well-formed JSON value sent to a route without a body is simply ignored, and one
   * sent to the release upload is the wrong media type.
   */
  brokenAlone?: boolean;
}

const WRONG_TYPES = Object.fromEntries(
  [
    'email',
    'password',
    'displayName',
    'deviceId',
    'name',
    'platform',
    'softwareId',
    'transactionId',
    'sourceDeviceId',
    'destinationDeviceId',
    'summary',
    'priceCents',
    'currency',
    'devices',
    'components',
    'installationId',
    'idSource',
    'fromDeviceId',
  ].map((field) => [field, { nested: [1] }]),
);

// prettier-ignore
const BAD_BODIES: BadBody[] = [
  { name: 'malformed JSON', rawBody: '{"a":', contentType: 'application/json', status: 400, code: 'VALIDATION', brokenAlone: true },
  { name: 'XML', rawBody: '<purchase/>', contentType: 'application/xml', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', brokenAlone: true },
  { name: 'empty JSON body', rawBody: '', contentType: 'application/json', status: 400, code: 'VALIDATION' },
  { name: 'null', rawBody: 'null', contentType: 'application/json', status: 400, code: 'VALIDATION' },
  { name: 'an array', rawBody: '[]', contentType: 'application/json', status: 400, code: 'VALIDATION' },
  { name: 'a string', rawBody: '"hello"', contentType: 'application/json', status: 400, code: 'VALIDATION' },
  { name: 'an empty object', rawBody: '{}', contentType: 'application/json', status: 400, code: 'VALIDATION' },
  { name: 'only unknown fields', rawBody: '{"unknown":true}', contentType: 'application/json', status: 400, code: 'VALIDATION' },
  { name: 'every field the wrong type', rawBody: JSON.stringify(WRONG_TYPES), contentType: 'application/json', status: 400, code: 'VALIDATION' },
];

function expectedAnswer(route: Route, bad: BadBody): { status: number; code: ErrorCode } {
  if (route.body === 'gzip' && !bad.brokenAlone && bad.rawBody !== '') {
    return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' };
  }
  return { status: bad.status, code: bad.code };
}

describe('sweep: every route, a handful of bad bodies', () => {
  let freshToken: () => Promise<string>;
  beforeAll(() => {
    let signIn: { email: string; password: string } | undefined;
    freshToken = async () => {
      if (!signIn) {
        const { email, password } = await createUser(provider, 'sweeper');
        signIn = { email, password };
      }
      const session = await provider.api('POST', '/v1/sessions', { body: signIn });
      expect(session.status).toBe(201);
      return session.body.token;
    };
  });

  const cases = ROUTES.filter((route) => route.method !== 'GET').flatMap((route) =>
    BAD_BODIES.filter((bad) => route.body !== 'none' || bad.brokenAlone).map((bad) => ({
      route,
      bad,
      label: `${route.name} ← ${bad.name}`,
    })),
  );

  it.each(cases)('$label', async ({ route, bad }) => {
    // Signing out must not end the session the other cases share, so it gets its own.
    const bearer =
      route.auth === 'admin'
        ? provider.adminToken
        : route.auth === 'user'
          ? route.path() === '/v1/sessions/current'
            ? await freshToken()
            : token
          : undefined;
    const response = await provider.api(route.method, route.path(), {
      token: bearer,
      rawBody: bad.rawBody,
      headers: { 'content-type': bad.contentType },
    });
    expect(response.status).toBeLessThan(500);
    const { status, code } = expectedAnswer(route, bad);
    expectProblem(response, status, code);
  });

  it.each(ROUTES.filter((route) => route.method === 'GET'))(
    '$name with junk query fields answers < 500',
    async (route) => {
      const bearer = route.auth === 'admin' ? provider.adminToken : route.auth === 'user' ? token : undefined;
      const separator = route.path().includes('?') ? '&' : '?';
      const response = await provider.api(
        'GET',
        `${route.path()}${separator}limit=-1&cursor=%00&after=x&deviceId[]=1`,
        {
          token: bearer,
        },
      );
      expect(response.status).toBeLessThan(500);
      if (response.status >= 400)
        expect(response.headers.get('content-type')).toContain('application/problem+json');
    },
  );

  it('covers every route the provider documents, and only those', async () => {
    const docs = await provider.api('GET', '/docs/json');
    expect(docs.status).toBe(200);
    const documented = Object.entries(docs.body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([route, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${route.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(documented.sort()).toEqual(ROUTES.map((route) => route.name).sort());
    for (const route of ROUTES) {
      const [method, url] = route.name.split(' ') as [Route['method'], string];
      expect(provider.app.hasRoute({ method, url }), route.name).toBe(true);
      expect(route.path().split('?')[0]).toMatch(new RegExp(`^${url.replace(/:\w+/g, '[^/]+')}$`));
    }
  });

  it('left the state as it was', async () => {
    const devices = await provider.api('GET', '/v1/devices', { token });
    expect(
      devices.body.devices.map((d: { deviceId: string; name: string }) => [d.deviceId, d.name]).sort(),
    ).toEqual(
      [
        [deviceId, 'Main'],
        [otherDevice, 'Spare'],
      ].sort(),
    );
    const registrations = await provider.api('GET', '/v1/registrations', { token });
    expect(registrations.body.registrations).toEqual([expect.objectContaining({ softwareId: SW, deviceId })]);
  });
});
