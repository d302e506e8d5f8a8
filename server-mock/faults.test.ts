/**
 * Each switchable fault of the mock, observed over real HTTP the way the app would meet
 * it: forced 500s, added latency, a connection dropped mid-download (and resumed with a
 * Range request), a corrupted package under its genuine checksum, an expired transaction
 * ID — switched from code and from `/__mock/faults`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, problemType } from '../shared/provider-api/error-codes.ts';
import { startMockServer, type RunningMockServer } from './server.ts';
import { buyer, call } from '../test-support/http-calls.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let server: RunningMockServer;
let url: string;
let token: string;
let deviceId: string;
let download: string;
let archive: Buffer;

beforeAll(async () => {
  server = await startMockServer();
  url = server.url;
  // Incompressible filler: a package of ~80 kB, several chunks long.
  ({ archive } = await server.mock.publish({
    softwareId: 'big-program',
    files: { 'data.bin': randomBytes(60_000).toString('base64') },
  }));
  ({ token, deviceId } = await buyer(url, 'big-program'));
  download = `/v1/downloads/big-program?deviceId=${deviceId}`;
});
afterEach(() => server.mock.faults.reset());
afterAll(() => server.close());

/** Read a body chunk by chunk, keeping what arrived before the stream failed. */
async function readUntilFailure(response: Response): Promise<{ bytes: Buffer; error: unknown }> {
  const chunks: Uint8Array[] = [];
  const reader = response.body!.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes: Buffer.concat(chunks), error: undefined };
      chunks.push(value);
    }
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error };
  }
}

describe('forced 500s', () => {
  it('answers the next N matching requests with 500 INTERNAL problem+json, then recovers', async () => {
    server.mock.faults.failNext(2, '/v1/catalog');
    for (let i = 0; i < 2; i += 1) {
      const failed = await call(url, 'GET', '/v1/catalog');
      expect(failed.status).toBe(500);
      expect(failed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(failed.body).toMatchObject({
        type: problemType('INTERNAL'),
        title: ERROR_CODES.INTERNAL.title,
        status: 500,
        code: 'INTERNAL',
      });
    }
    expect((await call(url, 'GET', '/v1/catalog')).status).toBe(200);
  });

  it('only fails the paths it matches (globs and RegExps), and any path without a pattern', async () => {
    server.mock.faults.failNext(1, '/v1/downloads/*');
    expect((await call(url, 'GET', '/v1/catalog')).status).toBe(200);
    expect((await call(url, 'GET', download, { token })).status).toBe(500);
    expect((await call(url, 'GET', download, { token })).status).toBe(200);

    server.mock.faults.failNext(1, /^\/v1\/me$/);
    expect((await call(url, 'GET', '/v1/me', { token })).status).toBe(500);

    server.mock.faults.failNext();
    expect((await call(url, 'GET', '/healthz')).status).toBe(500);
    expect((await call(url, 'GET', '/healthz')).status).toBe(200);
  });

  it('changes nothing: a transfer answered 500 did not move the copy', async () => {
    const fresh = await buyer(url, 'big-program');
    server.mock.faults.failNext(1, '/v1/transfers');
    const other = await call(url, 'POST', '/v1/devices', {
      token: fresh.token,
      body: { deviceId: randomBytes(32).toString('hex'), name: 'Other', platform: 'linux' },
    });
    const move = {
      softwareId: 'big-program',
      sourceDeviceId: fresh.deviceId,
      destinationDeviceId: other.body.device.deviceId,
    };
    expect((await call(url, 'POST', '/v1/transfers', { token: fresh.token, body: move })).status).toBe(500);
    const registrations = await call(url, 'GET', '/v1/registrations', { token: fresh.token });
    expect(registrations.body.registrations[0].deviceId).toBe(fresh.deviceId);
  });
});

describe('latency', () => {
  it('adds the configured delay to every response', async () => {
    const timed = async () => {
      const started = performance.now();
      expect((await call(url, 'GET', '/healthz')).status).toBe(200);
      return performance.now() - started;
    };
    server.mock.faults.setLatency(300);
    const slow = await timed();
    server.mock.faults.setLatency(0);
    const fast = await timed();
    expect(slow).toBeGreaterThanOrEqual(290);
    expect(fast).toBeLessThan(slow);
  });
});

describe('connection dropped mid-download', () => {
  it('cuts the body after N bytes; a Range request with If-Range resumes it to the right SHA-256', async () => {
    server.mock.faults.dropNextDownload(20_000);
    const response = await fetch(`${url}${download}`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const announced = response.headers.get('x-checksum-sha256')!;
    expect(Number(response.headers.get('content-length'))).toBe(archive.length);
    const first = await readUntilFailure(response);
    expect(first.error).toBeDefined();
    expect(first.bytes.length).toBe(20_000);
    expect(first.bytes.equals(archive.subarray(0, 20_000))).toBe(true);

    const rest = await call(url, 'GET', download, {
      token,
      headers: { range: `bytes=${first.bytes.length}-`, 'if-range': response.headers.get('etag')! },
    });
    expect(rest.status).toBe(206);
    expect(rest.headers.get('content-range')).toBe(`bytes 20000-${archive.length - 1}/${archive.length}`);
    const whole = Buffer.concat([first.bytes, rest.body as Buffer]);
    expect(sha256(whole)).toBe(announced);
    expect(announced).toBe(sha256(archive));
  });

  it('drops as many downloads as asked, then serves whole files again', async () => {
    server.mock.faults.dropNextDownload(0, 2);
    for (let i = 0; i < 2; i += 1) {
      const response = await fetch(`${url}${download}`, { headers: { authorization: `Bearer ${token}` } });
      const { bytes, error } = await readUntilFailure(response);
      expect(error).toBeDefined();
      expect(bytes.length).toBe(0);
    }
    const whole = await call(url, 'GET', download, { token });
    expect(sha256(whole.body as Buffer)).toBe(sha256(archive));
    expect(server.mock.faults.snapshot().dropDownload).toBeNull();
  });
});

describe('corrupted package', () => {
  it('serves altered bytes while X-Checksum-SHA256 and Digest announce the genuine hash', async () => {
    server.mock.faults.corruptDownloads();
    const response = await call(url, 'GET', download, { token });
    expect(response.status).toBe(200);
    const body = response.body as Buffer;
    const announced = response.headers.get('x-checksum-sha256');
    expect(announced).toBe(sha256(archive));
    expect(response.headers.get('digest')).toBe(
      `sha-256=${Buffer.from(announced!, 'hex').toString('base64')}`,
    );
    expect(body.length).toBe(archive.length);
    expect(sha256(body)).not.toBe(announced);

    // However it is fetched, in ranges too, the file fails its check.
    const head = await call(url, 'GET', download, { token, headers: { range: 'bytes=0-39999' } });
    const tail = await call(url, 'GET', download, { token, headers: { range: 'bytes=40000-' } });
    expect(sha256(Buffer.concat([head.body, tail.body]))).not.toBe(announced);

    server.mock.faults.corruptDownloads(false);
    expect(sha256((await call(url, 'GET', download, { token })).body)).toBe(announced);
  });
});

describe('expired transaction', () => {
  it('answers redeem with 410 TRANSACTION_EXPIRED without using the ID up', async () => {
    const requested = await call(url, 'POST', '/v1/licenses/requests', {
      token,
      body: { softwareId: 'big-program', deviceId },
    });
    expect(requested.status).toBe(201);
    const redeem = () =>
      call(url, 'POST', '/v1/licenses/redeem', {
        token,
        body: { transactionId: requested.body.transactionId, deviceId },
      });
    server.mock.faults.expireTransactions();
    const expired = await redeem();
    expect(expired.status).toBe(410);
    expect(expired.body).toMatchObject({
      code: 'TRANSACTION_EXPIRED',
      type: problemType('TRANSACTION_EXPIRED'),
    });

    server.mock.faults.expireTransactions(false);
    expect((await redeem()).status).toBe(200);
  });

  it('still answers TRANSACTION_UNKNOWN for an ID that is not the caller’s', async () => {
    server.mock.faults.expireTransactions();
    const response = await call(url, 'POST', '/v1/licenses/redeem', {
      token,
      body: { transactionId: 'kpt_made-up', deviceId },
    });
    expect(response.body.code).toBe('TRANSACTION_UNKNOWN');
  });
});

describe('GET/PUT/DELETE /__mock/faults', () => {
  it('shows the faults as JSON', async () => {
    const response = await call(url, 'GET', '/__mock/faults');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      latencyMs: 0,
      failures: [],
      dropDownload: null,
      corruptDownloads: false,
      expireTransactions: false,
    });
  });

  it('switches faults on at runtime, and off again', async () => {
    const put = await call(url, 'PUT', '/__mock/faults', {
      body: {
        failNext: { count: 1, path: '/v1/me' },
        dropDownload: { afterBytes: 100 },
        corruptDownloads: true,
        expireTransactions: true,
        latencyMs: 5,
      },
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      latencyMs: 5,
      failures: [{ remaining: 1, path: '/v1/me' }],
      dropDownload: { afterBytes: 100, remaining: 1 },
      corruptDownloads: true,
      expireTransactions: true,
    });
    expect((await call(url, 'GET', '/v1/me', { token })).status).toBe(500);
    expect((await call(url, 'GET', '/v1/me', { token })).status).toBe(200);

    // Fields left out stay; `failures` replaces the list.
    const partial = await call(url, 'PUT', '/__mock/faults', { body: { failures: [], latencyMs: 0 } });
    expect(partial.body).toMatchObject({ failures: [], latencyMs: 0, corruptDownloads: true });

    const reset = await call(url, 'DELETE', '/__mock/faults');
    expect(reset.body).toEqual((await call(url, 'GET', '/__mock/faults')).body);
    expect(reset.body.corruptDownloads).toBe(false);
  });

  it('refuses an invalid body with 400 VALIDATION', async () => {
    const response = await call(url, 'PUT', '/__mock/faults', { body: { latencyMs: -1, surprise: true } });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION');
    expect(response.body.errors.map((e: { path: string }) => e.path)).toContain('body.latencyMs');
  });

  it('is not itself subject to the faults', async () => {
    server.mock.faults.failNext(5);
    server.mock.faults.setLatency(1000);
    const started = performance.now();
    expect((await call(url, 'GET', '/__mock/faults')).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(900);
  });
});
