/**
 * Health and documentation over real HTTP: /healthz (liveness), /readyz (readiness: the
 * database answers, 503 UNAVAILABLE when it does not), /docs (Swagger UI) and
 * /docs/json (the OpenAPI document, which must list every route of DESIGN §3 with the
 * error codes documented there), and problem+json for unknown routes.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../shared/provider-api/error-codes.ts';
import { startProvider, type TestProvider } from '../../test-support/provider-harness.ts';
import { expectProblem } from '../../test-support/problem-assertions.ts';

/** DESIGN §3, route by route, with the error codes it documents (and the ones we added). */
const DESIGN_ROUTES: Array<{
  method: string;
  path: string;
  auth: 'open' | 'user' | 'admin';
  codes: ErrorCode[];
}> = [
  { method: 'post', path: '/v1/accounts', auth: 'open', codes: ['EMAIL_TAKEN', 'VALIDATION'] },
  { method: 'post', path: '/v1/sessions', auth: 'open', codes: ['BAD_CREDENTIALS', 'RATE_LIMITED'] },
  { method: 'delete', path: '/v1/sessions/current', auth: 'user', codes: ['UNAUTHENTICATED'] },
  { method: 'get', path: '/v1/me', auth: 'user', codes: ['UNAUTHENTICATED'] },
  { method: 'post', path: '/v1/devices', auth: 'user', codes: ['DEVICE_TAKEN', 'DEVICE_LIMIT'] },
  { method: 'get', path: '/v1/devices', auth: 'user', codes: ['UNAUTHENTICATED'] },
  { method: 'patch', path: '/v1/devices/{deviceId}', auth: 'user', codes: ['NOT_FOUND'] },
  { method: 'delete', path: '/v1/devices/{deviceId}', auth: 'user', codes: ['DEVICE_HAS_SOFTWARE'] },
  {
    method: 'post',
    path: '/v1/devices/{deviceId}/recover',
    auth: 'user',
    codes: ['SAME_DEVICE', 'DEVICE_NOT_ENROLLED', 'DEVICE_TAKEN', 'NOT_RECOGNISED', 'IDEMPOTENCY_KEY_REUSED'],
  },
  { method: 'post', path: '/v1/devices/recognitions', auth: 'user', codes: ['DEVICE_TAKEN'] },
  { method: 'get', path: '/v1/catalog', auth: 'open', codes: ['VALIDATION'] },
  { method: 'get', path: '/v1/catalog/{softwareId}', auth: 'open', codes: ['NOT_FOUND'] },
  {
    method: 'post',
    path: '/v1/purchases',
    auth: 'user',
    codes: ['DEVICE_NOT_ENROLLED', 'ALREADY_REGISTERED', 'NOT_FOUND', 'IDEMPOTENCY_KEY_REUSED'],
  },
  { method: 'get', path: '/v1/registrations', auth: 'user', codes: ['UNAUTHENTICATED'] },
  {
    method: 'get',
    path: '/v1/downloads/{softwareId}',
    auth: 'user',
    codes: ['NOT_REGISTERED', 'RANGE_NOT_SATISFIABLE'],
  },
  { method: 'post', path: '/v1/licenses/requests', auth: 'user', codes: ['NOT_REGISTERED'] },
  {
    method: 'post',
    path: '/v1/licenses/redeem',
    auth: 'user',
    codes: ['TRANSACTION_USED', 'TRANSACTION_EXPIRED', 'TRANSACTION_UNKNOWN'],
  },
  {
    method: 'post',
    path: '/v1/licenses/refresh',
    auth: 'user',
    codes: ['LICENSE_REVOKED', 'NOT_REGISTERED', 'DEVICE_CLONED'],
  },
  { method: 'get', path: '/v1/licenses/jwks', auth: 'open', codes: [] },
  {
    method: 'post',
    path: '/v1/transfers',
    auth: 'user',
    codes: [
      'NOT_REGISTERED',
      'DEVICE_NOT_ENROLLED',
      'SAME_DEVICE',
      'ALREADY_REGISTERED',
      'IDEMPOTENCY_KEY_REUSED',
    ],
  },
  { method: 'get', path: '/v1/transfers', auth: 'user', codes: ['UNAUTHENTICATED'] },
  { method: 'post', path: '/v1/admin/provision', auth: 'admin', codes: ['DEVICE_TAKEN'] },
  { method: 'post', path: '/v1/admin/software', auth: 'admin', codes: ['ALREADY_EXISTS'] },
  {
    method: 'post',
    path: '/v1/admin/software/{softwareId}/releases',
    auth: 'admin',
    codes: ['VALIDATION', 'NOT_FOUND', 'ALREADY_EXISTS', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'],
  },
  { method: 'get', path: '/v1/admin/events', auth: 'admin', codes: ['UNAUTHENTICATED'] },
  { method: 'get', path: '/healthz', auth: 'open', codes: [] },
  { method: 'get', path: '/readyz', auth: 'open', codes: [] },
];

const STATUS: Partial<Record<ErrorCode, number>> = {
  VALIDATION: 400,
  SAME_DEVICE: 400,
  UNAUTHENTICATED: 401,
  BAD_CREDENTIALS: 401,
  DEVICE_NOT_ENROLLED: 403,
  NOT_REGISTERED: 403,
  LICENSE_REVOKED: 403,
  NOT_FOUND: 404,
  TRANSACTION_UNKNOWN: 404,
  EMAIL_TAKEN: 409,
  DEVICE_TAKEN: 409,
  DEVICE_LIMIT: 409,
  DEVICE_HAS_SOFTWARE: 409,
  DEVICE_CLONED: 409,
  NOT_RECOGNISED: 409,
  ALREADY_REGISTERED: 409,
  ALREADY_EXISTS: 409,
  TRANSACTION_USED: 409,
  TRANSACTION_EXPIRED: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RANGE_NOT_SATISFIABLE: 416,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
};

interface Operation {
  security?: Array<Record<string, unknown>>;
  responses: Record<string, { description?: string; content?: Record<string, unknown> }>;
}

describe('health and docs', () => {
  let provider: TestProvider;
  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(() => provider.close());

  describe('GET /healthz', () => {
    it('answers 200 {status: "ok"} without a session', async () => {
      const response = await provider.api('GET', '/healthz');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ok' });
    });
  });

  describe('GET /readyz', () => {
    it('answers 200 {status: "ready", database} while the database answers', async () => {
      const response = await provider.api('GET', '/readyz');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ready', database: provider.app.keyport.registry.dialect });
    });

    it('answers 503 UNAVAILABLE when the database does not answer, while /healthz stays up', async () => {
      const broken = await startProvider();
      try {
        await broken.app.keyport.registry.close();
        const response = await broken.api('GET', '/readyz');
        expectProblem(response, 503, 'UNAVAILABLE');
        expect((await broken.api('GET', '/healthz')).status).toBe(200);
      } finally {
        // The registry is already closed; close the app and remove the data folder only.
        await broken.app.close();
        await rm(broken.dataDir, { recursive: true, force: true });
      }
    });
  });

  describe('GET /docs', () => {
    it('serves the Swagger UI', async () => {
      const response = await fetch(`${provider.url}/docs`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await response.text();
      expect(html).toContain('<title>Swagger UI</title>');
      expect(html).toContain('swagger-ui');
    });
  });

  describe('GET /docs/json', () => {
    let document: {
      openapi: string;
      info: { title: string };
      paths: Record<string, Record<string, Operation>>;
    };
    beforeAll(async () => {
      const response = await provider.api('GET', '/docs/json');
      expect(response.status).toBe(200);
      document = response.body;
    });

    it('is an OpenAPI 3.1 document', () => {
      expect(document.openapi).toBe('3.1.0');
      expect(document.info.title).toBe('Keyport provider API');
    });

    it('documents device identity: components, installation and ID source in, recognition and flags out, the recovery', () => {
      type Schema = {
        properties?: Record<string, Schema>;
        anyOf?: Schema[];
        items?: Schema;
        enum?: string[];
      };
      const bodyOf = (path: string, method = 'post') =>
        (
          document.paths[path]![method] as unknown as {
            requestBody: { content: Record<string, { schema: Schema }> };
          }
        ).requestBody.content['application/json']!.schema;
      const answerOf = (path: string, status: string, method = 'post') =>
        (document.paths[path]![method]!.responses[status]!.content as Record<string, { schema: Schema }>)[
          'application/json'
        ]!.schema;
      const enrol = bodyOf('/v1/devices');
      expect(Object.keys(enrol.properties!)).toEqual(
        expect.arrayContaining(['components', 'installationId', 'idSource']),
      );
      for (const status of ['200', '201']) {
        const answer = answerOf('/v1/devices', status);
        expect(Object.keys(answer.properties!)).toEqual(['device', 'recognisedAs']);
        const recognition = answer.properties!.recognisedAs!.anyOf![0]!;
        expect(Object.keys(recognition.properties!)).toEqual(
          expect.arrayContaining(['deviceId', 'matchedComponents', 'comparedComponents', 'software']),
        );
      }
      const listed = answerOf('/v1/devices', '200', 'get').properties!.devices!.items!;
      expect(listed.properties!.flags!.items!.enum).toEqual(['in-use-on-two-machines']);
      expect(Object.keys(bodyOf('/v1/licenses/refresh').properties!)).toEqual(
        expect.arrayContaining(['softwareId', 'deviceId', 'components', 'installationId']),
      );
      const recoverBody = bodyOf('/v1/devices/{deviceId}/recover');
      expect(Object.keys(recoverBody.properties!)).toEqual(['fromDeviceId', 'enrol']);
      expect(Object.keys(recoverBody.properties!.enrol!.properties!)).toEqual(
        expect.arrayContaining(['name', 'platform', 'components', 'installationId', 'idSource']),
      );
      expect(Object.keys(bodyOf('/v1/devices/recognitions').properties!)).toEqual(['deviceId', 'components']);
      const recognised = answerOf('/v1/devices/recognitions', '200').properties!.recognisedAs!.anyOf![0]!;
      expect(Object.keys(recognised.properties!)).toEqual(expect.arrayContaining(['deviceId', 'software']));
      for (const status of ['200', '201']) {
        const recovery = answerOf('/v1/devices/{deviceId}/recover', status).properties!.recovery!;
        expect(Object.keys(recovery.properties!)).toEqual(
          expect.arrayContaining(['recoveryId', 'fromDeviceId', 'toDeviceId', 'copies', 'createdAt']),
        );
      }
    });

    it('lists every route of DESIGN §3', () => {
      const listed = Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      );
      const expected = DESIGN_ROUTES.map((r) => `${r.method.toUpperCase()} ${r.path}`);
      expect(listed).toEqual(expect.arrayContaining(expected));
    });

    it("documents each route's error codes, under the right status", () => {
      for (const route of DESIGN_ROUTES) {
        const operation = document.paths[route.path]?.[route.method];
        expect(operation, `${route.method} ${route.path}`).toBeDefined();
        const codes = route.auth === 'open' ? route.codes : [...route.codes, 'UNAUTHENTICATED' as const];
        for (const code of codes) {
          const status = STATUS[code]!;
          const description = operation!.responses[String(status)]?.description ?? '';
          expect(description, `${route.method} ${route.path} → ${status} ${code}`).toMatch(
            new RegExp(`\\b${code}\\b`),
          );
          const content = operation!.responses[String(status)]?.content ?? {};
          expect(Object.keys(content), `${route.method} ${route.path} → ${status}`).toEqual([
            'application/problem+json',
          ]);
        }
      }
    });

    it('marks which routes need a session and which the admin token', () => {
      for (const route of DESIGN_ROUTES) {
        const security = document.paths[route.path]![route.method]!.security;
        const schemes = (security ?? []).flatMap((s) => Object.keys(s));
        const expected = { open: [], user: ['bearerAuth'], admin: ['adminAuth'] }[route.auth];
        expect(schemes, `${route.method} ${route.path}`).toEqual(expected);
      }
    });
  });

  describe('unknown routes', () => {
    it('answer 404 NOT_FOUND as problem+json', async () => {
      const response = await provider.api('GET', '/v1/nothing-here');
      expectProblem(response, 404, 'NOT_FOUND');
      expect(response.body.detail).toContain('/v1/nothing-here');
      expectProblem(await provider.api('PUT', '/v1/devices'), 404, 'NOT_FOUND');
    });
  });
});
