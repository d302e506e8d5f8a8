/**
 * The mock provider over real HTTP: `node:http` in front of the MSW handlers via msw's
 * `getResponse`. Each IncomingMessage becomes a Fetch Request (body streamed, so a route
 * refuses an anonymous upload before reading it) and the Response body is streamed back
 * chunk by chunk — which is what lets the drop fault destroy the socket mid-download.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getResponse } from 'msw';
import { internalProblemResponse } from './handlers.ts';
import { createKeyportMock, type KeyportMock, type KeyportMockOptions } from './mock.ts';

export interface MockServerOptions extends KeyportMockOptions {
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Serve this mock instead of creating one (the other mock options are then ignored; the caller closes it). */
  mock?: KeyportMock;
}

export interface RunningMockServer {
  /** `http://host:port`, no trailing slash. */
  url: string;
  /** The admin bearer token (same as `mock.adminToken`). */
  adminToken: string;
  mock: KeyportMock;
  close(): Promise<void>;
}

/** Hop-by-hop headers describe this connection, not the request the handlers see. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

/**
 * The request body as a web stream fed by 'data' events (paused while the stream is full).
 * Unlike Readable.toWeb, this lets Node discard a body the route never read (a 401 or 413
 * answered early), so the keep-alive connection is not left stalled half-way through it.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.on('data', (chunk: Buffer) => {
        controller.enqueue(new Uint8Array(chunk));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.on('end', () => controller.close());
      req.on('error', (error) => controller.error(error));
    },
    pull() {
      req.resume();
    },
    cancel() {
      req.removeAllListeners('data');
      req.resume();
    },
  });
}

function toFetchRequest(req: IncomingMessage, origin: string): Request {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (!HOP_BY_HOP.has(name.toLowerCase())) headers.append(name, req.rawHeaders[i + 1]!);
  }
  // HEAD is answered as GET without the body, as Fastify does for every GET route.
  const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
  const hasBody = method !== 'GET';
  const init: RequestInit & { duplex?: 'half' } = {
    method,
    headers,
    body: hasBody ? bodyStream(req) : undefined,
    duplex: hasBody ? 'half' : undefined,
  };
  return new Request(new URL(req.url ?? '/', origin), init);
}

async function respond(
  req: IncomingMessage,
  res: ServerResponse,
  mock: KeyportMock,
  origin: string,
  closing: () => boolean,
) {
  let response: Response | undefined;
  try {
    response = await getResponse(mock.handlers, toFetchRequest(req, origin));
  } catch (error) {
    // A request still in flight while the mock shuts down is not worth a stack trace.
    if (!closing()) console.error('keyport mock:', error);
    response = internalProblemResponse();
  }
  // Every path reaches the provider, which answers unknown ones itself.
  response ??= internalProblemResponse();

  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  if (req.method === 'HEAD' || !response.body) {
    await response.body?.cancel();
    res.end();
    return;
  }
  // Headers go out first, so a body dropped after 0 bytes still reaches the client as a
  // response whose body breaks off (not as a connection that never answered).
  res.flushHeaders();
  const reader = response.body.getReader();
  let flushed: Promise<void> = Promise.resolve();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      flushed = new Promise((resolve) => res.write(value, () => resolve()));
      if (res.writableNeedDrain) await once(res, 'drain');
    }
    res.end();
  } catch {
    // The body failed mid-way (the drop fault): let the bytes already written reach the
    // client, then cut the connection, as a network failure would.
    await flushed;
    res.destroy();
  }
}

export async function startMockServer(options: MockServerOptions = {}): Promise<RunningMockServer> {
  const owned = options.mock === undefined;
  let closing = false;
  const mock = options.mock ?? (await createKeyportMock(options));
  const host = options.host ?? '127.0.0.1';
  let origin = '';
  const server = createServer((req, res) => {
    // A body the route did not read to the end (401, 413, …) is discarded once the answer
    // is out, so the next request on this keep-alive connection is not stuck behind it.
    res.once('finish', () => {
      if (req.complete) return;
      req.removeAllListeners('data');
      req.resume();
    });
    respond(req, res, mock, origin, () => closing).catch((error: unknown) => {
      console.error('keyport mock: response failed', error);
      res.destroy();
    });
  });
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url: origin,
    adminToken: mock.adminToken,
    mock,
    async close() {
      closing = true;
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      if (owned) await mock.close();
    },
  };
}
