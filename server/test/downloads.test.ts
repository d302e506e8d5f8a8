/**
 * GET /v1/downloads/:softwareId over real HTTP (DESIGN §3): the whole `.tar.gz` with its
 * checksums, single byte ranges (206 + Content-Range, suffix ranges, If-Range), 416 for
 * unsatisfiable ranges, and NOT_REGISTERED for any device the copy is not on.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUser,
  enrol,
  publishSoftware,
  randomDeviceId,
  smallPackage,
  startProvider,
  type TestProvider,
} from '../../test-support/provider-harness.ts';
import {
  expectProblem,
  expectUnauthenticated,
  expectValidation,
} from '../../test-support/problem-assertions.ts';
import { sha256Hex } from '../lib/secrets.ts';

describe('GET /v1/downloads/:softwareId', () => {
  let provider: TestProvider;
  let token: string;
  let deviceId: string;
  let archive: Buffer;
  let digest: string;
  let size: number;
  let url: string;

  beforeAll(async () => {
    provider = await startProvider();
    // Incompressible filler so the archive is a few kilobytes and ranges are meaningful.
    const published = await publishSoftware(provider, 'big-program', {
      archive: await smallPackage('1.2.3', { 'data.bin': randomBytes(6000).toString('base64') }),
    });
    await publishSoftware(provider, 'other-program');
    archive = published.archive;
    digest = published.sha256;
    size = archive.length;
    ({ token } = await createUser(provider, 'downloader'));
    deviceId = await enrol(provider, token);
    const bought = await provider.api('POST', '/v1/purchases', {
      token,
      body: { softwareId: 'big-program', deviceId },
    });
    expect(bought.status).toBe(201);
    url = `/v1/downloads/big-program?deviceId=${deviceId}`;
  });
  afterAll(() => provider.close());

  const get = (headers: Record<string, string> = {}) => provider.api('GET', url, { token, headers });

  it('serves the whole .tar.gz to the device it is registered to, with its SHA-256', async () => {
    expect(size).toBeGreaterThan(4000);
    const response = await get();
    expect(response.status).toBe(200);
    const body = response.body as Buffer;
    expect(body.equals(archive)).toBe(true);
    expect(sha256Hex(body)).toBe(digest);
    expect(response.headers.get('content-type')).toBe('application/gzip');
    expect(response.headers.get('content-length')).toBe(String(size));
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(response.headers.get('etag')).toBe(`"${digest}"`);
    expect(response.headers.get('x-checksum-sha256')).toBe(digest);
    expect(response.headers.get('digest')).toBe(`sha-256=${Buffer.from(digest, 'hex').toString('base64')}`);
    expect(response.headers.get('x-keyport-version')).toBe('1.2.3');
    expect(response.headers.get('content-disposition')).toBe(
      'attachment; filename="big-program-1.2.3.tar.gz"',
    );
    expect(response.headers.get('content-range')).toBeNull();
  });

  it('serves a byte range: 206 with Content-Range and exactly those bytes', async () => {
    const response = await get({ range: 'bytes=0-99' });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes 0-99/${size}`);
    expect(response.headers.get('content-length')).toBe('100');
    expect((response.body as Buffer).equals(archive.subarray(0, 100))).toBe(true);
  });

  it('resumes an interrupted download: an open-ended range completes the file', async () => {
    const head = await get({ range: 'bytes=0-1023' });
    const tail = await get({ range: 'bytes=1024-' });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe(`bytes 1024-${size - 1}/${size}`);
    const whole = Buffer.concat([head.body as Buffer, tail.body as Buffer]);
    expect(sha256Hex(whole)).toBe(digest);
  });

  it('serves suffix ranges: the last N bytes, or the whole file when N exceeds it', async () => {
    const last = await get({ range: 'bytes=-50' });
    expect(last.status).toBe(206);
    expect(last.headers.get('content-range')).toBe(`bytes ${size - 50}-${size - 1}/${size}`);
    expect((last.body as Buffer).equals(archive.subarray(size - 50))).toBe(true);

    const more = await get({ range: `bytes=-${size + 100}` });
    expect(more.status).toBe(206);
    expect(more.headers.get('content-range')).toBe(`bytes 0-${size - 1}/${size}`);
    expect((more.body as Buffer).equals(archive)).toBe(true);
  });

  it('clamps a range that runs past the end', async () => {
    const response = await get({ range: `bytes=${size - 10}-${size + 5000}` });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes ${size - 10}-${size - 1}/${size}`);
    expect((response.body as Buffer).equals(archive.subarray(size - 10))).toBe(true);
  });

  it('honours If-Range: the current ETag gets the range, a stale one gets the whole file (200)', async () => {
    const current = await get({ range: 'bytes=10-19', 'if-range': `"${digest}"` });
    expect(current.status).toBe(206);
    expect((current.body as Buffer).equals(archive.subarray(10, 20))).toBe(true);

    const stale = await get({ range: 'bytes=10-19', 'if-range': `"${'0'.repeat(64)}"` });
    expect(stale.status).toBe(200);
    expect(stale.headers.get('content-range')).toBeNull();
    expect((stale.body as Buffer).equals(archive)).toBe(true);

    // A weak validator never matches for ranges (strong comparison).
    const weak = await get({ range: 'bytes=10-19', 'if-range': `W/"${digest}"` });
    expect(weak.status).toBe(200);
    expect((weak.body as Buffer).length).toBe(size);
  });

  it('serves the whole file for a range it does not support (multiple ranges, another unit)', async () => {
    for (const range of ['bytes=0-1,5-9', 'items=0-1']) {
      const response = await get({ range });
      expect(response.status).toBe(200);
      expect((response.body as Buffer).equals(archive)).toBe(true);
    }
  });

  it('answers 416 RANGE_NOT_SATISFIABLE with Content-Range bytes */size for a range outside the file', async () => {
    for (const range of [`bytes=${size}-`, `bytes=${size + 10}-${size + 20}`, 'bytes=-0']) {
      const response = await get({ range });
      expectProblem(response, 416, 'RANGE_NOT_SATISFIABLE');
      expect(response.headers.get('content-range')).toBe(`bytes */${size}`);
    }
  });

  it('answers 403 NOT_REGISTERED for a device the copy is not on, and for software not bought', async () => {
    const otherDevice = await enrol(provider, token, 'Other');
    for (const path of [
      `/v1/downloads/big-program?deviceId=${otherDevice}`,
      `/v1/downloads/big-program?deviceId=${randomDeviceId()}`,
      `/v1/downloads/other-program?deviceId=${deviceId}`,
      `/v1/downloads/no-such-program?deviceId=${deviceId}`,
    ]) {
      const response = await provider.api('GET', path, { token });
      expectProblem(response, 403, 'NOT_REGISTERED');
      expect(response.headers.get('x-checksum-sha256')).toBeNull();
    }
  });

  it("answers 403 NOT_REGISTERED to another user asking for this copy on this user's device", async () => {
    const other = await createUser(provider, 'snooper');
    expectProblem(await provider.api('GET', url, { token: other.token }), 403, 'NOT_REGISTERED');
  });

  it('refuses a missing or malformed deviceId and a malformed software ID with 400 VALIDATION', async () => {
    expectValidation(
      await provider.api('GET', '/v1/downloads/big-program', { token }),
      'querystring.deviceId',
    );
    expectValidation(
      await provider.api('GET', '/v1/downloads/big-program?deviceId=abc', { token }),
      'querystring.deviceId',
    );
    expectValidation(
      await provider.api('GET', `/v1/downloads/Big_Program?deviceId=${deviceId}`, { token }),
      'params.softwareId',
    );
  });

  it('answers 401 UNAUTHENTICATED without a session', async () => {
    expectUnauthenticated(await provider.api('GET', url));
    expectUnauthenticated(await provider.api('GET', url, { token: provider.adminToken }));
  });
});
