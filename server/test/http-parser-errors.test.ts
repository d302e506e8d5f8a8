/**
 * Every answer is problem+json with a `code` (DESIGN §3) — also to requests no route ever
 * sees: those Node's HTTP parser cannot read (a raw 0xE9 byte in the path, headers over
 * 16 KiB, broken framing), those Fastify's router refuses, and those Node answers itself
 * (no Host, an unknown `Expect`, CONNECT, a request during shutdown). Over raw `net`
 * sockets, since no well-behaved client can send most of these; an unreadable request is
 * answered completely, with `Connection: close`, so keep-alive clients do not reuse the
 * connection and lose their next request to ECONNRESET.
 */
import { request, Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, problemType, type ErrorCode } from '../../shared/provider-api/error-codes.ts';
import { startProvider, type TestProvider } from '../../test-support/provider-harness.ts';

interface RawAnswer {
  status: number;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body: string;
  /** The socket error the client saw (ECONNRESET, EPIPE), if any. */
  socketError?: string;
}

/** The first response in what the server sent. */
function parseAnswer(received: Buffer, socketError?: string): RawAnswer {
  const text = received.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete response head (socket error: ${socketError}): ${text}`);
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = received.subarray(end + 4, end + 4 + Number(headers['content-length'] ?? 0)).toString('utf8');
  return { status: Number(statusLine.split(' ')[1]), headers, body, socketError };
}

/** Open a connection, send `bytes`, read until the server hangs up (or `waitMs`). */
function sendRaw(
  port: number,
  bytes: string | Buffer,
  options: { waitMs?: number } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let socketError: string | undefined;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => (socketError = error.code));
    socket.on('close', () => {
      try {
        resolve(parseAnswer(Buffer.concat(chunks), socketError));
      } catch (error) {
        reject(error);
      }
    });
    socket.write(bytes);
    if (options.waitMs !== undefined) setTimeout(() => socket.end(), options.waitMs);
  });
}

const latin1 = (text: string) => Buffer.from(text, 'latin1');

/** A complete problem+json answer: right status and code, framed by Content-Length. */
function expectRawProblem(answer: RawAnswer, status: number, code: ErrorCode): void {
  let body: { code?: string } | string = answer.body;
  try {
    body = JSON.parse(answer.body) as { code?: string };
  } catch {
    // Not JSON: the assertions below say so.
  }
  // Status and code (or the whole body) together first, so a failure shows both at once.
  expect({ status: answer.status, code: typeof body === 'string' ? body : body.code }).toEqual({
    status,
    code,
  });
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/);
  expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
  expect(body).toMatchObject({
    type: problemType(code),
    title: ERROR_CODES[code].title,
    status,
    code,
  });
}

let provider: TestProvider;
let port: number;
beforeAll(async () => {
  provider = await startProvider();
  port = Number(new URL(provider.url).port);
});
afterAll(() => provider.close());

describe('requests the HTTP parser cannot read', () => {
  it('a raw 0xE9 byte in the path: 400 VALIDATION, Connection: close, a clean hang-up', async () => {
    const answer = await sendRaw(
      port,
      latin1('GET /v1/catalog/caf\xe9 HTTP/1.1\r\nHost: keyport.test\r\n\r\n'),
    );
    expectRawProblem(answer, 400, 'VALIDATION');
    expect(answer.headers.connection).toBe('close');
    expect(JSON.parse(answer.body).detail).toMatch(/not valid HTTP/);
    // The server hung up after a complete answer: a FIN, not a reset.
    expect(answer.socketError).toBeUndefined();
  });

  it('headers over 16 KiB: 431 with the same problem shape and Connection: close', async () => {
    const answer = await sendRaw(
      port,
      `GET /healthz HTTP/1.1\r\nHost: keyport.test\r\nX-Padding: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
    );
    expectRawProblem(answer, 431, 'HEADERS_TOO_LARGE');
    expect(answer.headers.connection).toBe('close');
    expect(JSON.parse(answer.body).detail).toMatch(/headers are larger than 16 KiB/);
    expect(answer.socketError).toBeUndefined();
  });

  it('hangs up gracefully: a client still sending after the answer is not reset (RFC 9112 §9.6)', async () => {
    // Closing at once with the client's bytes unread makes the kernel answer them with RST,
    // which on a real network can destroy the answer before the client has read it.
    const client = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let socketError: string | undefined;
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    client.on('error', (error: NodeJS.ErrnoException) => (socketError = error.code));
    const answered = new Promise<void>((resolve) => client.once('end', () => resolve()));
    client.write(
      latin1('POST /v1/sessions\xe9 HTTP/1.1\r\nHost: keyport.test\r\nContent-Length: 100000\r\n\r\n'),
    );
    await answered;
    for (let i = 0; i < 5; i++) {
      client.write('x'.repeat(1000));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(socketError).toBeUndefined();
    client.destroy();
    expectRawProblem(parseAnswer(Buffer.concat(chunks)), 400, 'VALIDATION');
  });

  const post = 'POST /v1/sessions HTTP/1.1\r\nHost: keyport.test\r\nContent-Type: application/json\r\n';
  const chunked = `${post}Transfer-Encoding: chunked\r\n`;
  it.each<{ name: string; bytes: string; status: number; code: ErrorCode }>([
    {
      name: 'a Content-Length that is not a number',
      bytes: `${post}Content-Length: abc\r\n\r\n{}`,
      status: 400,
      code: 'VALIDATION',
    },
    {
      name: 'two Content-Lengths',
      bytes: `${post}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
      status: 400,
      code: 'VALIDATION',
    },
    {
      name: 'Transfer-Encoding with Content-Length',
      bytes: `${chunked}Content-Length: 5\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
      status: 400,
      code: 'VALIDATION',
    },
    {
      name: 'a chunk size that is not hex',
      bytes: `${chunked}\r\nzz\r\n{}\r\n0\r\n\r\n`,
      status: 400,
      code: 'VALIDATION',
    },
    {
      name: 'chunk extensions over the limit',
      bytes: `${chunked}\r\n2;${'x'.repeat(20_000)}\r\n{}\r\n0\r\n\r\n`,
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'a NUL in a header value',
      bytes: 'GET /healthz HTTP/1.1\r\nHost: keyport.test\r\nX-A: a\0b\r\n\r\n',
      status: 400,
      code: 'VALIDATION',
    },
    {
      name: 'an unknown HTTP version',
      bytes: 'GET /healthz HTTP/9.9\r\nHost: keyport.test\r\n\r\n',
      status: 400,
      code: 'VALIDATION',
    },
    {
      name: 'a method that is not a token',
      bytes: 'G(T /healthz HTTP/1.1\r\nHost: keyport.test\r\n\r\n',
      status: 400,
      code: 'VALIDATION',
    },
  ])('$name: $status $code', async ({ bytes, status, code }) => {
    const answer = await sendRaw(port, bytes);
    expectRawProblem(answer, status, code);
    expect(answer.headers.connection).toBe('close');
  });

  it('a request timeout: 408 problem+json while the socket can still be written', async () => {
    // Node reports a request that takes too long (headersTimeout, requestTimeout) as this
    // clientError; waiting out the real 60 s would make a slow test of the same handler.
    const serverSide = new Promise<Socket>((resolve) => provider.app.server.once('connection', resolve));
    const client = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    client.write('GET /healthz HTTP/1.1\r\nHost: keyport.test\r\n');
    const timeout = Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
    provider.app.server.emit('clientError', timeout, await serverSide);
    await closed;
    const answer = parseAnswer(Buffer.concat(chunks));
    expectRawProblem(answer, 408, 'REQUEST_TIMEOUT');
    expect(answer.headers.connection).toBe('close');
  });

  it('keeps a keep-alive client working: the next requests on its pool succeed', async () => {
    // One pooled connection: a refused request that left its socket in the pool would hand
    // the dying socket to the next request, which then fails with ECONNRESET.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string) =>
      new Promise<{ status: number; connection?: string }>((resolve, reject) => {
        // node:http sends the path as latin1: "\xe9" goes out as the raw byte 0xE9.
        const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      for (let round = 0; round < 5; round++) {
        const [refused, ...good] = await Promise.all([
          get('/v1/catalog/caf\xe9'),
          get('/healthz'),
          get('/v1/catalog'),
        ]);
        expect(refused).toEqual({ status: 400, connection: 'close' });
        expect(good.map((answer) => answer.status)).toEqual([200, 200]);
      }
    } finally {
      agent.destroy();
    }
  });
});

describe('requests refused before any route runs', () => {
  const get = (target: string, headers = 'Host: keyport.test\r\n') =>
    `GET ${target} HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`;
  const post = (contentType: string, body: string) =>
    `POST /v1/sessions HTTP/1.1\r\nHost: keyport.test\r\nContent-Type: ${contentType}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  it.each<{ name: string; bytes: string; status: number; code: ErrorCode }>([
    {
      name: 'a malformed % escape (FST_ERR_BAD_URL)',
      bytes: get('/v1/catalog/%E0%A4%A'),
      status: 400,
      code: 'VALIDATION',
    },
    {
      name: 'an over-long path parameter (FST_ERR_MAX_PARAM_LENGTH)',
      bytes: get(`/v1/catalog/${'a'.repeat(300)}`),
      status: 400,
      code: 'VALIDATION',
    },
    {
      name: 'an unsupported content type',
      bytes: post('application/xml', '<session/>'),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    { name: 'malformed JSON', bytes: post('application/json', '{"email":'), status: 400, code: 'VALIDATION' },
    { name: 'an empty JSON body', bytes: post('application/json', ''), status: 400, code: 'VALIDATION' },
    {
      name: 'a body over the limit',
      bytes: post('application/json', `"${'x'.repeat(70_000)}"`),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    { name: 'an unknown route', bytes: get('/v1/nothing-here'), status: 404, code: 'NOT_FOUND' },
    {
      name: 'a method without routes',
      bytes: 'TRACE /healthz HTTP/1.1\r\nHost: keyport.test\r\nConnection: close\r\n\r\n',
      status: 404,
      code: 'NOT_FOUND',
    },
    { name: 'an HTTP/1.1 request without Host', bytes: get('/healthz', ''), status: 400, code: 'VALIDATION' },
    {
      name: 'two Host headers',
      bytes: get('/healthz', 'Host: keyport.test\r\nHost: evil.example\r\n'),
      status: 400,
      code: 'VALIDATION',
    },
    {
      name: 'an Expect other than 100-continue',
      bytes: get('/healthz', 'Host: keyport.test\r\nExpect: x-magic\r\n'),
      status: 417,
      code: 'EXPECTATION_FAILED',
    },
    {
      name: 'CONNECT',
      bytes: 'CONNECT keyport.test:443 HTTP/1.1\r\nHost: keyport.test:443\r\n\r\n',
      status: 404,
      code: 'NOT_FOUND',
    },
  ])('$name: $status $code', async ({ bytes, status, code }) => {
    expectRawProblem(await sendRaw(port, bytes), status, code);
  });

  it('still answers HTTP/1.0 without Host (only HTTP/1.1 requires it)', async () => {
    const answer = await sendRaw(port, 'GET /healthz HTTP/1.0\r\n\r\n');
    expect(answer.status).toBe(200);
  });
});

describe('requests arriving while the provider shuts down', () => {
  it('get 503 UNAVAILABLE problem+json with Retry-After and Connection: close', async () => {
    const closing = await startProvider();
    const closingPort = Number(new URL(closing.url).port);
    // Half a request before the shutdown (so the connection is not idle and stays open),
    // the rest after it began.
    const serverSide = new Promise<Socket>((resolve) => closing.app.server.once('connection', resolve));
    const client = connect(closingPort, '127.0.0.1');
    const chunks: Buffer[] = [];
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    const hungUp = new Promise<void>((resolve) => client.on('close', () => resolve()));
    client.write('GET /healthz HTTP/1.1\r\nHost: keyport.test\r\n');
    const socket = await serverSide;
    await expect.poll(() => socket.bytesRead).toBeGreaterThan(0);
    const closed = closing.close();
    // The server stops listening once the preClose hooks ran: the shutdown is under way.
    await expect.poll(() => closing.app.server.listening).toBe(false);
    client.write('\r\n');
    await hungUp;
    await closed;
    const answer = parseAnswer(Buffer.concat(chunks));
    expectRawProblem(answer, 503, 'UNAVAILABLE');
    expect(answer.headers['retry-after']).toBe('1');
    expect(answer.headers.connection).toBe('close');
  });
});

describe('logs of unreadable requests', () => {
  it('name the parser’s code, never the request’s bytes (which carry its Authorization)', async () => {
    const lines: string[] = [];
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString('utf8'));
        callback();
      },
    });
    const logged = await startProvider({ logStream });
    try {
      const token = 'kps_secret-session-token-in-an-unreadable-request';
      const answer = await sendRaw(
        Number(new URL(logged.url).port),
        latin1(`GET /v1/me\xe9 HTTP/1.1\r\nHost: keyport.test\r\nAuthorization: Bearer ${token}\r\n\r\n`),
      );
      expect(answer.status).toBe(400);
      const log = lines.join('');
      expect(log).toContain('unreadable request refused');
      expect(log).toContain('HPE_INVALID_URL');
      // Neither as text nor as the byte list pino makes of a Buffer (the error's rawPacket).
      expect(log).not.toContain(token);
      expect(log).not.toContain([...Buffer.from(token)].join(','));
    } finally {
      await logged.close();
    }
  });
});
