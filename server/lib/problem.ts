/**
 * Errors as RFC 9457 problem details. Route code throws `problem(code, detail)`; the
 * error handler turns that — and every error Fastify or the validator raises for
 * something the client sent — into `application/problem+json` with a `code`.
 * Anything else is a bug: it is logged and answered as INTERNAL without details.
 * Requests refused before Fastify has a Reply for them (unparseable, CONNECT, an unknown
 * `Expect`) are written as problem+json here too: every answer has the same shape.
 */
import {
  maxHeaderSize,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { PROBLEM_CONTENT_TYPE, type ErrorCode } from '../../shared/provider-api/error-codes.ts';
import { ProblemError, problem, toProblemBody } from '../../shared/provider-api/problem.ts';
import { RegistryBusyError } from '../db/database.ts';

export { ProblemError, problem, toProblemBody } from '../../shared/provider-api/problem.ts';

/** Fastify's own client-error codes, mapped to ours. */
const FASTIFY_CLIENT_ERRORS: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION',
  FST_ERR_CTP_INVALID_JSON_BODY: 'VALIDATION',
  FST_ERR_VALIDATION: 'VALIDATION',
};

function classify(error: FastifyError): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof RegistryBusyError)
    return new ProblemError('UNAVAILABLE', 'the registry is busy; try again in a moment', {
      'retry-after': '1',
    });
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = error.validation.map((issue) => ({
      path: [error.validationContext, issue.instancePath.replace(/^\//, '').replaceAll('/', '.')]
        .filter(Boolean)
        .join('.'),
      message: issue.message ?? 'is not valid',
    }));
    const first = errors[0];
    const detail = first ? `${first.path}: ${first.message}` : 'the request does not match the schema';
    return new ProblemError('VALIDATION', detail, {}, errors);
  }
  const mapped = error.code ? FASTIFY_CLIENT_ERRORS[error.code] : undefined;
  if (mapped) return new ProblemError(mapped, error.message);
  if (error instanceof SyntaxError || (error.statusCode === 400 && !error.code)) {
    return new ProblemError('VALIDATION', 'the request body is not valid JSON');
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    const byStatus: Partial<Record<number, ErrorCode>> = {
      404: 'NOT_FOUND',
      413: 'PAYLOAD_TOO_LARGE',
      415: 'UNSUPPORTED_MEDIA_TYPE',
      429: 'RATE_LIMITED',
    };
    return new ProblemError(byStatus[error.statusCode] ?? 'VALIDATION', error.message);
  }
  return new ProblemError('INTERNAL', 'something went wrong on our side; try again shortly');
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const failure = classify(error);
    if (failure.code === 'INTERNAL') request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: failure.code }, 'request refused');
    return reply
      .code(failure.status)
      .headers(failure.headers)
      .type(PROBLEM_CONTENT_TYPE)
      .serializer(JSON.stringify)
      .send(toProblemBody(failure));
  });
  app.setNotFoundHandler((request, reply) => {
    const failure = problem('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(404).type(PROBLEM_CONTENT_TYPE).serializer(JSON.stringify).send(toProblemBody(failure));
  });
  // RFC 9112 §3.2: an HTTP/1.1 request without Host, or with two, is answered 400. Node's
  // own check (`requireHostHeader`, off in app.ts) answers with an empty body and lets a
  // second Host through (it keeps the first).
  app.addHook('onRequest', async (request) => {
    const raw = request.raw.rawHeaders;
    const hosts = raw.filter((name, i) => i % 2 === 0 && name.toLowerCase() === 'host').length;
    if (hosts > 1 || (hosts === 0 && request.raw.httpVersion === '1.1'))
      throw problem('VALIDATION', 'the request must name its host in exactly one Host header');
  });
  // While the provider shuts down, requests still arriving on open connections get 503
  // problem+json (Fastify's own `return503OnClosing` answer, off in app.ts, is not).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async () => {
    if (closing)
      throw problem('UNAVAILABLE', 'the provider is shutting down; try again in a moment', {
        'retry-after': '1',
      });
  });
}

/**
 * Fastify's `frameworkErrors` option: errors the router raises before any handler runs
 * (a malformed `%` escape in the path) become problem+json like every other refusal.
 */
export function frameworkErrorHandler(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const failure =
    error.code === 'FST_ERR_BAD_URL'
      ? new ProblemError('VALIDATION', 'the request path is not a valid URL (a malformed % escape)')
      : classify(error);
  return reply
    .code(failure.status)
    .type(PROBLEM_CONTENT_TYPE)
    .serializer(JSON.stringify)
    .send(toProblemBody(failure));
}

/** A refusal written without a Reply: the HTTP status, the `code`, a detail. */
interface RawRefusal {
  status: number;
  code: ErrorCode;
  detail: string;
}

/**
 * The refusal's headers and body. `status` is the HTTP status (in the body too, as RFC 9457
 * asks); for 408, 417 and 431 it is not the code's own 400: the code table has none for them.
 * `Connection: close`: the connection is not used again after such a request.
 */
function rawProblem(refusal: RawRefusal): { headers: Record<string, string>; body: string } {
  const failure = problem(refusal.code, refusal.detail);
  const body = JSON.stringify({ ...toProblemBody(failure), status: refusal.status });
  return {
    headers: {
      'Content-Type': PROBLEM_CONTENT_TYPE,
      'Content-Length': String(Buffer.byteLength(body)),
      Connection: 'close',
    },
    body,
  };
}

/** How long a refused connection may go on sending before it is cut. */
const LINGER_MS = 2_000;
/** Sockets already answered: Node feeds what follows to the failed parser, which reports it again. */
const refused = new WeakSet<Duplex>();

/**
 * Answer on a raw socket, then hang up gracefully: FIN after the answer, and whatever the
 * client still sends is read and dropped until it hangs up too (or LINGER_MS). Destroying
 * the socket at once (Fastify's default) leaves unread bytes behind, the kernel answers
 * them with RST, and the client can lose the answer and see ECONNRESET instead.
 */
function refuseOnSocket(socket: Duplex, refusal: RawRefusal): void {
  refused.add(socket);
  const { headers, body } = rawProblem(refusal);
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.end(`HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n${head.join('')}\r\n${body}`);
  // The HTTP parser reads the socket until it closes; a CONNECT socket is ours to drain.
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

const PARSER_REFUSALS: Partial<Record<string, RawRefusal>> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'HEADERS_TOO_LARGE',
    detail: `the request headers are larger than ${maxHeaderSize / 1024} KiB`,
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    detail: 'the chunk extensions of the request body are too large',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'REQUEST_TIMEOUT',
    detail: 'the request did not arrive in time',
  },
};

/**
 * Fastify's `clientErrorHandler` option: requests Node's HTTP parser cannot read (a raw
 * 0xE9 byte in the path, headers over the limit, a broken chunk, a timeout) never become
 * Fastify requests. Fastify's default answers `{"error","statusCode"}` JSON without
 * `Connection: close`, so keep-alive clients pooled a socket that was about to die.
 */
export function clientErrorHandler(
  this: FastifyInstance,
  error: Error & { code?: string; reason?: unknown },
  socket: Duplex,
): void {
  // A reset or closed socket has no one left to answer; a refused one has its answer.
  if (error.code === 'ECONNRESET' || socket.destroyed || refused.has(socket)) return;
  // The code only: the error's rawPacket holds the request's bytes, Authorization included.
  this.log.info({ code: error.code }, 'unreadable request refused');
  // Node's own rule: no answer in the middle of a response already being written.
  const inFlight = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  refuseOnSocket(
    socket,
    PARSER_REFUSALS[error.code ?? ''] ?? {
      status: 400,
      code: 'VALIDATION',
      // llhttp's reason is one of its fixed sentences ("Invalid character in URL"), never request bytes.
      detail: `the request is not valid HTTP/1.1${typeof error.reason === 'string' ? ` (${error.reason})` : ''}`,
    },
  );
}

/**
 * Requests Node answers itself, before Fastify sees them, with an empty body (or none).
 * Each gets problem+json instead:
 * - CONNECT (a proxy's method) would get no answer at all: 404, as any method without a route.
 * - `Expect:` other than 100-continue: 417 (RFC 9110 §10.1.1); no expectation is met here.
 */
export function installRawRefusals(server: Server): void {
  server.on('connect', (req: IncomingMessage, socket: Duplex) =>
    refuseOnSocket(socket, { status: 404, code: 'NOT_FOUND', detail: `no route CONNECT ${req.url ?? ''}` }),
  );
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    const { headers, body } = rawProblem({
      status: 417,
      code: 'EXPECTATION_FAILED',
      detail: 'the provider meets no expectation but 100-continue',
    });
    res.writeHead(417, headers).end(body);
  });
}
