import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { download, type DownloadProgress } from './downloader.ts';
import { appErrorOf } from '../../test-support/app-error-of.ts';

interface Release {
  body: Buffer;
  sha256: string;
  etag: string;
}

interface SendOptions {
  /** false: answer every request with the whole file (a server without Range support). */
  honourRange?: boolean;
  /** Destroy the connection after this many body bytes of this response. */
  dropAfter?: number;
  /** Send these bytes instead of the release's (the hash header still names the release). */
  bodyOverride?: Buffer;
  /** Which hash headers to send. */
  announce?: 'x-checksum' | 'digest' | 'none';
  chunkBytes?: number;
  delayMs?: number;
  /** Stop sending (without closing) after this many bytes: a stalled connection. */
  stallAfter?: number;
}

type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => Promise<void> | void;

interface TestServer {
  url: string;
  requests: IncomingMessage['headers'][];
}

const servers: Server[] = [];
let dir: string;
let destination: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'keyport-downloader-'));
  destination = path.join(dir, 'demo-1.0.0.tar.gz');
});

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await rm(dir, { recursive: true, force: true });
});

function release(size = 256 * 1024): Release {
  const body = randomBytes(size);
  const sha256 = createHash('sha256').update(body).digest('hex');
  return { body, sha256, etag: `"${sha256}"` };
}

async function serve(handler: Handler): Promise<TestServer> {
  const requests: IncomingMessage['headers'][] = [];
  const server = createServer((req, res) => {
    const index = requests.push(req.headers) - 1;
    void Promise.resolve(handler(req, res, index)).catch(() => res.destroy());
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/downloads/demo?deviceId=abc`, requests };
}

/** Answers like the provider's download route: Range + If-Range on the ETag, hash headers. */
async function sendRelease(
  req: IncomingMessage,
  res: ServerResponse,
  rel: Release,
  options: SendOptions = {},
): Promise<void> {
  const size = rel.body.length;
  const ifRange = req.headers['if-range'];
  const usable = options.honourRange !== false && (ifRange === undefined || ifRange === rel.etag);
  const match = usable ? /^bytes=(\d+)-$/.exec(req.headers.range ?? '') : null;
  const headers: Record<string, string | number> = {
    'content-type': 'application/gzip',
    'accept-ranges': 'bytes',
    etag: rel.etag,
  };
  const announce = options.announce ?? 'x-checksum';
  if (announce === 'x-checksum') headers['x-checksum-sha256'] = rel.sha256;
  if (announce === 'digest') headers.digest = `sha-256=${Buffer.from(rel.sha256, 'hex').toString('base64')}`;
  let start = 0;
  if (match) {
    start = Number(match[1]);
    if (start >= size) {
      res.writeHead(416, { 'content-range': `bytes */${size}`, 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ code: 'RANGE_NOT_SATISFIABLE', status: 416 }));
      return;
    }
    res.writeHead(206, {
      ...headers,
      'content-range': `bytes ${start}-${size - 1}/${size}`,
      'content-length': size - start,
    });
  } else {
    res.writeHead(200, { ...headers, 'content-length': size });
  }
  await sendBody(res, (options.bodyOverride ?? rel.body).subarray(start), options);
}

async function sendBody(res: ServerResponse, payload: Buffer, options: SendOptions): Promise<void> {
  const chunkBytes = options.chunkBytes ?? 16 * 1024;
  const limit = Math.min(payload.length, options.dropAfter ?? Infinity, options.stallAfter ?? Infinity);
  for (let at = 0; at < limit && !res.destroyed; at += chunkBytes) {
    const piece = payload.subarray(at, Math.min(at + chunkBytes, limit));
    await new Promise<void>((resolve) => res.write(piece, () => resolve()));
    if (options.delayMs) await sleep(options.delayMs);
  }
  if (limit < payload.length) {
    if (options.dropAfter !== undefined) res.destroy();
    return; // a stall: keep the connection open and silent
  }
  res.end();
}

/** Hashing beats toEqual on big buffers, which compares them element by element. */
async function sha256Of(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

describe('download', () => {
  it('streams the whole file with throttled, monotonic progress and verifies it', async () => {
    const rel = release();
    const server = await serve((req, res) => sendRelease(req, res, rel, { delayMs: 15 }));
    const events: DownloadProgress[] = [];
    const times: number[] = [];
    const result = await download({
      url: server.url,
      headers: { authorization: 'Bearer secret' },
      destination,
      onProgress: (p) => {
        events.push(p);
        times.push(performance.now());
      },
    });
    expect(result).toEqual({ path: destination, sha256: rel.sha256, sizeBytes: rel.body.length, resumes: 0 });
    expect(await sha256Of(destination)).toBe(rel.sha256);
    expect(await readdir(dir)).toEqual([path.basename(destination)]);
    expect(server.requests[0]?.authorization).toBe('Bearer secret');
    expect(server.requests[0]?.range).toBeUndefined();

    expect(events.length).toBeGreaterThanOrEqual(3);
    // Throttled: 16 chunks arrived 15 ms apart, but events come ~100 ms apart (plus one at the end).
    for (let i = 1; i < times.length - 1; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(90);
    for (const [i, event] of events.entries()) {
      expect(event.totalBytes).toBe(rel.body.length);
      if (i > 0) expect(event.receivedBytes).toBeGreaterThanOrEqual(events[i - 1]!.receivedBytes);
    }
    const last = events.at(-1)!;
    expect(last.receivedBytes).toBe(rel.body.length);
    expect(last.etaSeconds).toBe(0);
    expect(events.some((e) => e.bytesPerSecond > 0)).toBe(true);
    expect(events.some((e) => e.etaSeconds !== null && e.etaSeconds > 0)).toBe(true);
  });

  it('resumes with Range and If-Range after the connection drops', async () => {
    const rel = release();
    const dropAfter = 100_000;
    const server = await serve((req, res, index) =>
      sendRelease(req, res, rel, index === 0 ? { dropAfter } : {}),
    );
    const result = await download({ url: server.url, destination, retryDelayMs: 10 });
    expect(result.resumes).toBeGreaterThanOrEqual(1);
    expect(result.sha256).toBe(rel.sha256);
    expect(await sha256Of(destination)).toBe(rel.sha256);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.range).toBe(`bytes=${dropAfter}-`);
    expect(server.requests[1]?.['if-range']).toBe(rel.etag);
    expect(await readdir(dir)).toEqual([path.basename(destination)]);
  });

  it('keeps the .part when it gives up, and resumes it on the next run', async () => {
    const rel = release();
    const first = await serve((req, res, index) =>
      sendRelease(req, res, rel, { dropAfter: index === 0 ? 50_000 : 0 }),
    );
    const error = await appErrorOf(
      download({ url: first.url, destination, maxAttempts: 2, retryDelayMs: 10 }),
    );
    expect(error.code).toBe('DOWNLOAD_FAILED');
    expect(error.message).toMatch(/try again/i);
    expect((await stat(`${destination}.part`)).size).toBe(50_000);
    expect(await exists(`${destination}.part.json`)).toBe(true);
    expect(await exists(destination)).toBe(false);

    const second = await serve((req, res) => sendRelease(req, res, rel));
    const result = await download({ url: second.url, destination });
    expect(result.resumes).toBe(1);
    expect(second.requests[0]?.range).toBe('bytes=50000-');
    expect(second.requests[0]?.['if-range']).toBe(rel.etag);
    expect(await sha256Of(destination)).toBe(rel.sha256);
    expect(await readdir(dir)).toEqual([path.basename(destination)]);
  });

  it('keeps going while each dropped connection still brings new bytes', async () => {
    const rel = release();
    const server = await serve((req, res) => sendRelease(req, res, rel, { dropAfter: 50_000 }));
    const result = await download({ url: server.url, destination, maxAttempts: 2, retryDelayMs: 5 });
    expect(server.requests).toHaveLength(Math.ceil(rel.body.length / 50_000));
    expect(result.resumes).toBe(server.requests.length - 1);
    expect(await sha256Of(destination)).toBe(rel.sha256);
  });

  it('gives up after maxAttempts requests that bring nothing', async () => {
    const rel = release();
    const server = await serve((req, res) => sendRelease(req, res, rel, { dropAfter: 0 }));
    const error = await appErrorOf(
      download({ url: server.url, destination, maxAttempts: 3, retryDelayMs: 5 }),
    );
    expect(error.code).toBe('DOWNLOAD_FAILED');
    expect(server.requests).toHaveLength(3);
  });

  it('discards a stale .part of another release instead of splicing it', async () => {
    const old = release();
    const first = await serve((req, res) => sendRelease(req, res, old, { dropAfter: 60_000 }));
    await appErrorOf(download({ url: first.url, destination, maxAttempts: 1 }));
    expect((await stat(`${destination}.part`)).size).toBe(60_000);

    const fresh = release();
    const second = await serve((req, res) => sendRelease(req, res, fresh));
    const result = await download({ url: second.url, destination });
    // The server saw If-Range with the old ETag and answered the whole new file.
    expect(second.requests[0]?.['if-range']).toBe(old.etag);
    expect(result).toMatchObject({ sha256: fresh.sha256, sizeBytes: fresh.body.length, resumes: 0 });
    expect(await sha256Of(destination)).toBe(fresh.sha256);
    expect(await readdir(dir)).toEqual([path.basename(destination)]);
  });

  it('does not even ask to resume a .part whose hash is not the expected one', async () => {
    const old = release();
    const first = await serve((req, res) => sendRelease(req, res, old, { dropAfter: 60_000 }));
    await appErrorOf(download({ url: first.url, destination, maxAttempts: 1 }));

    const fresh = release();
    const second = await serve((req, res) => sendRelease(req, res, fresh));
    const result = await download({ url: second.url, destination, expectedSha256: fresh.sha256 });
    expect(second.requests[0]?.range).toBeUndefined();
    expect(result.sha256).toBe(fresh.sha256);
  });

  it('discards a .part without a sidecar', async () => {
    const rel = release();
    await writeFile(`${destination}.part`, rel.body.subarray(0, 1000));
    const server = await serve((req, res) => sendRelease(req, res, rel));
    const result = await download({ url: server.url, destination });
    expect(server.requests[0]?.range).toBeUndefined();
    expect(result.resumes).toBe(0);
    expect(await sha256Of(destination)).toBe(rel.sha256);
  });

  it('finishes a complete .part the server says there is nothing more of (416)', async () => {
    const rel = release();
    await writeFile(`${destination}.part`, rel.body);
    await writeFile(
      `${destination}.part.json`,
      JSON.stringify({ etag: rel.etag, sha256: rel.sha256, totalBytes: rel.body.length }),
    );
    const server = await serve((req, res) => sendRelease(req, res, rel));
    const result = await download({ url: server.url, destination });
    expect(server.requests[0]?.range).toBe(`bytes=${rel.body.length}-`);
    expect(result).toMatchObject({ sha256: rel.sha256, sizeBytes: rel.body.length });
    expect(await readdir(dir)).toEqual([path.basename(destination)]);
  });

  it('refuses a damaged body: CHECKSUM_MISMATCH, and nothing left on disk', async () => {
    const rel = release();
    const damaged = Buffer.from(rel.body);
    damaged[1234] = (damaged[1234] ?? 0) ^ 0xff;
    const server = await serve((req, res) => sendRelease(req, res, rel, { bodyOverride: damaged }));
    const error = await appErrorOf(download({ url: server.url, destination }));
    expect(error.code).toBe('CHECKSUM_MISMATCH');
    expect(error.message).toMatch(/damaged.*try again/i);
    expect(await readdir(dir)).toEqual([]);
  });

  it('checks against expectedSha256 when given', async () => {
    const rel = release();
    const server = await serve((req, res) => sendRelease(req, res, rel));
    const error = await appErrorOf(
      download({ url: server.url, destination, expectedSha256: 'ab'.repeat(32) }),
    );
    expect(error.code).toBe('CHECKSUM_MISMATCH');
    expect(await readdir(dir)).toEqual([]);
  });

  it('uses the Digest header when there is no X-Checksum-SHA256', async () => {
    const rel = release();
    const server = await serve((req, res) => sendRelease(req, res, rel, { announce: 'digest' }));
    expect((await download({ url: server.url, destination })).sha256).toBe(rel.sha256);
  });

  it('refuses a download nothing names the hash of', async () => {
    const rel = release();
    const server = await serve((req, res) => sendRelease(req, res, rel, { announce: 'none' }));
    const error = await appErrorOf(download({ url: server.url, destination }));
    expect(error.code).toBe('DOWNLOAD_FAILED');
    expect(await exists(destination)).toBe(false);
  });

  it('turns a problem+json answer into a AppError with its code', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({ type: 'about:blank', title: 'Forbidden', status: 403, code: 'NOT_REGISTERED' }),
      );
    });
    const error = await appErrorOf(download({ url: server.url, destination }));
    expect(error.code).toBe('NOT_REGISTERED');
    expect(server.requests).toHaveLength(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('retries while the provider is briefly unavailable', async () => {
    const rel = release(10_000);
    const server = await serve((req, res, index) => {
      if (index < 2) {
        res.writeHead(503, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ status: 503, code: 'UNAVAILABLE' }));
        return;
      }
      return sendRelease(req, res, rel);
    });
    const result = await download({ url: server.url, destination, retryDelayMs: 5 });
    expect(result.sha256).toBe(rel.sha256);
    expect(server.requests).toHaveLength(3);
  });

  it('cancels mid-download: CANCELLED and no files left', async () => {
    const rel = release();
    const server = await serve((req, res) => sendRelease(req, res, rel, { chunkBytes: 4096, delayMs: 20 }));
    const controller = new AbortController();
    const error = await appErrorOf(
      download({
        url: server.url,
        destination,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.receivedBytes > 0) controller.abort();
        },
      }),
    );
    expect(error.code).toBe('CANCELLED');
    expect(await readdir(dir)).toEqual([]);
  });

  it('cancels before starting', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await appErrorOf(
      download({ url: 'http://127.0.0.1:9/', destination, signal: controller.signal }),
    );
    expect(error.code).toBe('CANCELLED');
  });

  it('still ends correct when the server never answers a Range', async () => {
    const rel = release();
    const server = await serve((req, res, index) =>
      sendRelease(req, res, rel, { honourRange: false, ...(index === 0 ? { dropAfter: 80_000 } : {}) }),
    );
    const result = await download({ url: server.url, destination, retryDelayMs: 10 });
    expect(server.requests[1]?.range).toBe('bytes=80000-');
    expect(result).toMatchObject({ sha256: rel.sha256, sizeBytes: rel.body.length, resumes: 0 });
    expect(await sha256Of(destination)).toBe(rel.sha256);
    expect(await readdir(dir)).toEqual([path.basename(destination)]);
  });

  it('treats a connection that goes silent as dropped, and resumes', async () => {
    const rel = release();
    const server = await serve((req, res, index) =>
      sendRelease(req, res, rel, index === 0 ? { stallAfter: 32 * 1024 } : {}),
    );
    const result = await download({ url: server.url, destination, stallTimeoutMs: 300, retryDelayMs: 10 });
    expect(result.resumes).toBe(1);
    expect(server.requests[1]?.range).toBe(`bytes=${32 * 1024}-`);
    expect(await sha256Of(destination)).toBe(rel.sha256);
  });

  it('says OFFLINE when the provider cannot be reached at all', async () => {
    const server = await serve(() => undefined);
    const url = server.url;
    const closing = servers.pop()!;
    await new Promise((resolve) => closing.close(resolve));
    const error = await appErrorOf(download({ url, destination, maxAttempts: 2, retryDelayMs: 5 }));
    expect(error.code).toBe('OFFLINE');
    expect(error.message).toMatch(/connection/i);
  });
});
