/**
 * The handlers without the HTTP server: MSW's `setupServer` intercepting `fetch` in this
 * process, for tests that want a provider at any URL without opening a port.
 */
import { getResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKeyportMock, type KeyportMock } from './mock.ts';
import { buyer, call } from '../test-support/http-calls.ts';

const URL = 'http://provider.keyport.test';
let mock: KeyportMock;
let interceptor: ReturnType<typeof setupServer>;

beforeAll(async () => {
  mock = await createKeyportMock({ baseUrl: URL });
  await mock.publish({ softwareId: 'intercepted' });
  interceptor = setupServer(...mock.handlers);
  interceptor.listen({ onUnhandledRequest: 'error' });
});
afterAll(() => interceptor.close());

it('answers fetch at its base URL like the provider', async () => {
  expect((await call(URL, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
  const { token, deviceId } = await buyer(URL, 'intercepted');
  const download = await call(URL, 'GET', `/v1/downloads/intercepted?deviceId=${deviceId}`, { token });
  expect(download.status).toBe(200);
  expect(download.headers.get('x-checksum-sha256')).toMatch(/^[0-9a-f]{64}$/);
  const unauthenticated = await call(URL, 'GET', '/v1/me');
  expect(unauthenticated.status).toBe(401);
  expect(unauthenticated.body.code).toBe('UNAUTHENTICATED');
});

it('applies the faults there too', async () => {
  mock.faults.failNext(1, '/v1/catalog');
  expect((await call(URL, 'GET', '/v1/catalog')).status).toBe(500);
  expect((await call(URL, 'GET', '/v1/catalog')).status).toBe(200);
});

it('leaves other origins alone', async () => {
  expect(await getResponse(mock.handlers, new Request('http://elsewhere.test/healthz'))).toBeUndefined();
  expect(await getResponse(mock.handlers, new Request(`${URL}/healthz`))).toBeInstanceOf(Response);
});
