/**
 * The MSW handlers: `/__mock/faults` (the switch), and every other request through the
 * fault layer to the real provider (`buildApp()`, answered in-process by `app.inject`).
 * The provider does all of the API's work, so the mock cannot answer differently from it;
 * the layer only adds what a real server will not do on demand: 500s, latency, a download
 * cut off mid-way, a corrupted package, an expired transaction.
 */
import { http, type HttpHandler } from 'msw';
import { PROBLEM_CONTENT_TYPE } from '../shared/provider-api/error-codes.ts';
import { ProblemError, problem, toProblemBody } from '../shared/provider-api/problem.ts';
import type { ProviderApp } from '../server/app.ts';
import { FaultUpdate, type MockFaults } from './faults.ts';

/** Headers about one connection, not the message (the mock's own server sets its own). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

export interface HandlerEnv {
  app: ProviderApp;
  faults: MockFaults;
  /** `*` for any origin, or an origin such as `http://127.0.0.1:8788`. */
  baseUrl: string;
  /** Runs `redeem` as if the transaction's time to live had passed (the expire fault). */
  redeemLate<T>(redeem: () => Promise<T>): Promise<T>;
}

export function problemResponse(error: ProblemError): Response {
  const text = JSON.stringify(toProblemBody(error));
  return new Response(text, {
    status: error.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': String(Buffer.byteLength(text)) },
  });
}

/** The 500 a forced failure (or the mock's own crash) answers with, worded as the provider's. */
export function internalProblemResponse(): Response {
  return problemResponse(problem('INTERNAL', 'something went wrong on our side; try again shortly'));
}

/** The same request, asked of the provider in-process. */
async function askProvider(app: ProviderApp, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name)) headers[name] = value;
  });
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  const answer = await app.inject({
    method: request.method as 'GET',
    url: `${url.pathname}${url.search}`,
    headers,
    payload: hasBody ? Buffer.from(await request.arrayBuffer()) : undefined,
  });
  const responseHeaders = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    for (const one of Array.isArray(value) ? value : [value]) responseHeaders.append(name, String(one));
  }
  const empty = answer.statusCode === 204 || answer.statusCode === 304 || request.method === 'HEAD';
  return new Response(empty ? null : new Uint8Array(answer.rawPayload), {
    status: answer.statusCode,
    headers: responseHeaders,
  });
}

/** A download's body: with one byte flipped (corrupt), or breaking off after `dropAfter` bytes. */
async function tamperedDownload(
  response: Response,
  tamper: { corrupt: boolean; dropAfter: number | null },
): Promise<Response> {
  if (!response.ok || !response.body) return response;
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (tamper.corrupt && bytes.length > 0) bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
  const dropAfter = tamper.dropAfter;
  let sent = false;
  const body =
    dropAfter === null
      ? bytes
      : new ReadableStream<Uint8Array>({
          // First the bytes before the cut, then (on the next read, so they are not discarded
          // with the queue) the failure: the mock's server sends those bytes and cuts the socket.
          pull(controller) {
            if (!sent && dropAfter > 0) {
              sent = true;
              controller.enqueue(bytes.slice(0, Math.min(dropAfter, bytes.length)));
              return;
            }
            controller.error(new Error('the mock dropped this download (dropNextDownload)'));
          },
        });
  // The headers (length, checksum) still describe the genuine package, as a broken mirror's would.
  return new Response(body, { status: response.status, headers: response.headers });
}

export function createMockHandlers(env: HandlerEnv): HttpHandler[] {
  const { app, faults } = env;
  const at = (path: string) => (env.baseUrl === '*' ? `*${path}` : `${env.baseUrl}${path}`);

  const throughFaults = async ({ request }: { request: Request }): Promise<Response> => {
    const pathname = new URL(request.url).pathname;
    if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    if (faults.takeFailure(pathname)) return internalProblemResponse();
    const isDownload = request.method === 'GET' && pathname.startsWith('/v1/downloads/');
    const isRedeem = request.method === 'POST' && pathname === '/v1/licenses/redeem';
    const response =
      isRedeem && faults.expiringTransactions
        ? await env.redeemLate(() => askProvider(app, request))
        : await askProvider(app, request);
    if (!isDownload) return response;
    const dropAfter = response.ok ? faults.takeDrop() : null;
    if (!faults.corrupting && dropAfter === null) return response;
    return tamperedDownload(response, { corrupt: faults.corrupting, dropAfter });
  };

  return [
    // The mock's own controls: never delayed or failed themselves.
    http.get(at('/__mock/faults'), () => Response.json(faults.snapshot())),
    http.put(at('/__mock/faults'), async ({ request }) => {
      const parsed = FaultUpdate.safeParse(await request.json().catch(() => undefined));
      if (!parsed.success) {
        // Field paths as the provider names them (`body.latencyMs`).
        const errors = parsed.error.issues.map((issue) => ({
          path: ['body', ...issue.path.map(String)].join('.'),
          message: issue.message,
        }));
        return problemResponse(new ProblemError('VALIDATION', 'that is not a fault update', {}, errors));
      }
      return Response.json(faults.apply(parsed.data));
    }),
    http.delete(at('/__mock/faults'), () => {
      faults.reset();
      return Response.json(faults.snapshot());
    }),
    http.all(at('/*'), throughFaults),
  ];
}
