/**
 * The web shell (DESIGN §5): the same renderer and the same `AppApi` as the Electron
 * shell, served over loopback HTTP — how the app runs where Electron cannot, and how
 * browser tests drive it.
 *
 *   GET  /, /assets/…        the built renderer (out/renderer), with the app's CSP
 *   POST /api/call/:method   JSON body = the method's input → a `AppEnvelope`
 *   GET  /api/events         NDJSON stream of `AppEvent`s, one per line
 *
 * Every request must name this listener in Host; every /api request must also come from
 * this origin and carry the per-launch secret (see request-guard.ts). Refused requests
 * never reach the core. The renderer learns the secret from the launch URL's fragment,
 * which browsers never send to a server.
 */
import { realpath } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  isAppMethod,
  type AppApi,
  type AppEnvelope,
  type AppEventSource,
} from '../../shared/app-api/app-api.ts';
import type { AppErrorCode } from '../../shared/app-api/app-errors.ts';
import { dispatchAppCall } from '../bridge/app-dispatch.ts';
import { SECURITY_HEADERS } from '../bridge/content-security-policy.ts';
import { allowedHosts, checkCaller, checkHost, newSecret, type Refusal } from './request-guard.ts';
import { resolveStaticFile, serveStaticFile } from './static-files.ts';

/** Inputs are a few short strings; anything near this size is not from the renderer. */
export const MAX_BODY_BYTES = 64 * 1024;
const HEARTBEAT_MS = 15_000;
const OWN_PAGES_ONLY: Refusal = { status: 400, message: 'Keyport only answers requests for its own pages.' };

export interface WebShellOptions {
  core: AppApi & AppEventSource;
  /** The built renderer: a folder with index.html and assets/. */
  rendererDir: string;
  /** A loopback address (default 127.0.0.1); the shell refuses to listen anywhere else. */
  host?: '127.0.0.1' | '::1';
  /** 0 (the default) picks a free port. */
  port?: number;
}

export interface WebShell {
  /** `http://127.0.0.1:PORT`, without the secret. */
  url: string;
  /** The URL to open: `url` plus `/#secret=…`. */
  launchUrl: string;
  secret: string;
  port: number;
  /** How many windows are connected now (each holds one event stream open). */
  connectedWindows(): number;
  close(): Promise<void>;
}

export async function startWebShell(options: WebShellOptions): Promise<WebShell> {
  const { core } = options;
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== '::1') {
    throw new Error(`The web shell listens on loopback only (127.0.0.1 or ::1), not ${String(host)}.`);
  }
  const rendererRoot = await realpath(options.rendererDir);
  const secret = newSecret();
  let hosts: ReadonlySet<string> = new Set();
  const streams = new Set<ServerResponse>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = req.url ?? '';
    // Only origin-form targets ("/path"); "//x" would otherwise parse as a host. Whether
    // a request is for the API is decided on the same parsed path it is routed on.
    const pathname = target.startsWith('/') ? new URL(`http://keyport.invalid${target}`).pathname : null;
    const isApi = pathname !== null && (pathname === '/api' || pathname.startsWith('/api/'));
    const hostRefusal = checkHost(req, hosts);
    if (hostRefusal) return sendRefusal(res, hostRefusal, isApi);
    // An absolute-form target ("http://evil.example/") names its own host, which RFC 9112
    // §3.2.2 says wins over Host: the Host just checked would not be the one meant. Browsers
    // send that form only to proxies, "*" only with OPTIONS; neither is for this shell.
    if (pathname === null) return sendRefusal(res, OWN_PAGES_ONLY, false);

    if (isApi) {
      const refusal = checkCaller(req, hosts, secret);
      if (refusal) return sendRefusal(res, refusal, true);
      const call = /^\/api\/call\/([^/]+)$/.exec(pathname);
      if (call) {
        if (req.method !== 'POST') return sendMethodNotAllowed(res, 'POST');
        return handleCall(req, res, call[1] ?? '');
      }
      if (pathname === '/api/events') {
        if (req.method !== 'GET') return sendMethodNotAllowed(res, 'GET');
        return handleEvents(req, res);
      }
      sendEnvelope(res, 404, 'NOT_FOUND', 'There is nothing at that address.');
      return;
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, {
        ...SECURITY_HEADERS,
        Allow: 'GET, HEAD',
        'Content-Type': 'text/plain; charset=utf-8',
      });
      res.end('Method not allowed.');
      return;
    }
    const file = await resolveStaticFile(rendererRoot, pathname);
    if (!file) {
      sendText(res, 404, 'Not found.');
      return;
    }
    await serveStaticFile(req, res, file, SECURITY_HEADERS);
  };

  const handleCall = async (req: IncomingMessage, res: ServerResponse, method: string): Promise<void> => {
    // Method names are plain ASCII words: the raw path segment is the name, or no name.
    if (!isAppMethod(method)) {
      sendEnvelope(res, 404, 'NOT_FOUND', `The app has no action called "${method.slice(0, 40)}".`);
      return;
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      sendEnvelope(
        res,
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'Send the input as JSON (Content-Type: application/json).',
      );
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      sendEnvelope(res, 413, 'PAYLOAD_TOO_LARGE', 'That input is too large.', true);
      return;
    }
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === null) {
      sendEnvelope(res, 413, 'PAYLOAD_TOO_LARGE', 'That input is too large.', true);
      return;
    }
    let input: unknown;
    if (body.length > 0) {
      try {
        input = JSON.parse(body.toString('utf8'));
      } catch {
        sendEnvelope(res, 400, 'BAD_INPUT', 'That input is not valid JSON.');
        return;
      }
    }
    sendJson(res, 200, await dispatchAppCall(core, method, input));
  };

  const handleEvents = (req: IncomingMessage, res: ServerResponse): void => {
    // Subscribe before answering: once the renderer sees the headers, no event is missed.
    const unsubscribe = core.subscribe((event) => {
      res.write(`${JSON.stringify(event)}\n`);
    });
    streams.add(res);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'application/x-ndjson; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    res.flushHeaders();
    // An empty line now and then keeps idle connections (and proxies) from timing out.
    const heartbeat = setInterval(() => res.write('\n'), HEARTBEAT_MS);
    heartbeat.unref();
    let cleaned = false;
    const cleanup = () => {
      if (cleaned) return;
      cleaned = true;
      unsubscribe();
      clearInterval(heartbeat);
      streams.delete(res);
    };
    req.on('close', cleanup);
    res.on('close', cleanup);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('web shell: request failed:', error);
      if (!res.headersSent) sendEnvelope(res, 500, 'UNEXPECTED', 'Keyport had a problem answering that.');
      else res.destroy();
    });
  });
  // The event stream is long-lived on purpose; do not let the default timeout cut it.
  server.requestTimeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  hosts = allowedHosts(host, port);
  const url = host === '::1' ? `http://[::1]:${port}` : `http://${host}:${port}`;

  return {
    url,
    launchUrl: `${url}/#secret=${secret}`,
    secret,
    port,
    connectedWindows: () => streams.size,
    async close() {
      for (const stream of streams) stream.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The body, or null once it grows past `limit` (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, closeConnection = false): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    // After an oversized body the connection holds unread bytes: do not reuse it.
    ...(closeConnection ? { Connection: 'close' } : {}),
  });
  res.end(text);
}

function sendEnvelope(
  res: ServerResponse,
  status: number,
  code: AppErrorCode,
  message: string,
  closeConnection = false,
): void {
  const envelope: AppEnvelope = { ok: false, error: { code, message } };
  sendJson(res, status, envelope, closeConnection);
}

const REFUSAL_CODES = {
  400: 'BAD_INPUT',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
} as const satisfies Record<Refusal['status'], AppErrorCode>;

/** A guard's refusal: an envelope for the API, a sentence for pages. */
function sendRefusal(res: ServerResponse, refusal: Refusal, isApi: boolean): void {
  // A request the guard cannot read is not the renderer's: answer it and hang up.
  const close = refusal.status === 400;
  if (isApi) sendEnvelope(res, refusal.status, REFUSAL_CODES[refusal.status], refusal.message, close);
  else sendText(res, refusal.status, refusal.message, close);
}

function sendMethodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('Allow', allow);
  sendEnvelope(res, 405, 'BAD_INPUT', `Use ${allow} here.`);
}

function sendText(res: ServerResponse, status: number, text: string, closeConnection = false): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    ...(closeConnection ? { Connection: 'close' } : {}),
  });
  res.end(text);
}
