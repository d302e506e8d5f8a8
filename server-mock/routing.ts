/**
 * One MSW handler per provider route, run through the same pipeline Fastify runs the
 * real one through, so a bad request gets the same answer from both:
 *
 *   faults (latency, forced 500) → auth (before the body is read) → body parsing
 *   (JSON / text / gzip, size limits, 415) → validation of params, body, query string
 *   and headers with the shared/api.ts schemas, in Fastify's order, reporting the first
 *   failing part → the route → its result parsed through the response schema.
 */
import { timingSafeEqual } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { http, type HttpCustomPredicate, type HttpHandler, type PathParams } from 'msw';
import type { z } from 'zod';
import type { User } from '../shared/api.ts';
import type { MockFaults } from './faults.ts';
import { sha256Hex } from './packages.ts';
import { MockProblem, mockProblem, problemResponse } from './problem.ts';
import type { MockRegistry } from './state.ts';
import { PACKAGE_TYPES } from '../shared/api.ts';

/** What every route may use; built once per mock. */
export interface RouteEnv {
  registry: MockRegistry;
  faults: MockFaults;
  adminTokenHash: string;
  /** Where the routes answer: an origin (optionally with a path prefix) such as `http://127.0.0.1:8788`, or `*` for any. */
  baseUrl: string;
}

type Auth = 'none' | 'user' | 'admin';
type Method = 'get' | 'post' | 'patch' | 'delete' | 'put';
type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface Session {
  user: User;
  sessionHash: string;
}

export interface RouteContext<P, B, Q, H, A extends Auth> {
  request: Request;
  url: URL;
  params: Out<P>;
  body: Out<B>;
  /** The body as parsed, before validation (the release upload's bytes). */
  rawBody: unknown;
  query: Out<Q>;
  headers: Out<H>;
  session: A extends 'user' ? Session : undefined;
}

export interface RouteSpec<P, B, Q, H, A extends Auth> {
  method: Method;
  path: string;
  auth: A;
  params?: P;
  body?: B;
  query?: Q;
  headers?: H;
  /** Admin routes also read gzip bodies as bytes (the provider registers that parser there). */
  packageBodies?: boolean;
  /** Internal `/__mock` routes: no latency, no forced failures. */
  control?: boolean;
  handle(context: RouteContext<P, B, Q, H, A>): Response | Promise<Response>;
}

const JSON_BODY_LIMIT = 64 * 1024;
const CHALLENGE = { 'www-authenticate': 'Bearer realm="keyport"' };

/** A JSON response whose body has been parsed through its response schema first. */
export function json<S extends Schema>(
  schema: S,
  body: z.input<S>,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  const text = JSON.stringify(schema.parse(body));
  return new Response(text, {
    status,
    headers: {
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
    },
  });
}

export function noContent(): Response {
  return new Response(null, { status: 204 });
}

function bearer(request: Request): string | undefined {
  return request.headers.get('authorization')?.match(/^Bearer\s+(\S{1,512})$/i)?.[1];
}

function authenticate(env: RouteEnv, auth: Auth, request: Request): Session | undefined {
  if (auth === 'none') return undefined;
  const token = bearer(request);
  if (auth === 'admin') {
    const given = Buffer.from(sha256Hex(token ?? ''), 'hex');
    const expected = Buffer.from(env.adminTokenHash, 'hex');
    if (!token || !timingSafeEqual(given, expected)) {
      throw mockProblem(
        'UNAUTHENTICATED',
        'admin routes need "Authorization: Bearer <admin token>"',
        CHALLENGE,
      );
    }
    return undefined;
  }
  if (!token) {
    throw mockProblem(
      'UNAUTHENTICATED',
      'send "Authorization: Bearer <session token>"; sign in to get one',
      CHALLENGE,
    );
  }
  const session = env.registry.sessionUser(token);
  if (!session) throw mockProblem('UNAUTHENTICATED', 'your session has ended; sign in again', CHALLENGE);
  return session;
}

const tooLarge = () => mockProblem('PAYLOAD_TOO_LARGE', 'Request body is too large');

/** The body's bytes, refusing (413) as soon as it is longer than `limit`. */
async function readLimited(request: Request, limit: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) throw tooLarge();
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // Stop reading, but do not cancel: that would destroy the socket before the 413 is
      // sent. The server discards the rest once the response has ended.
      reader.releaseLock();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * JSON the way Fastify's parser takes it: secure-json-parse refuses `__proto__` keys and
 * `constructor.prototype`, which plain JSON.parse would accept.
 */
function parseJson(text: string): unknown {
  const invalid = () =>
    mockProblem('VALIDATION', "Body is not valid JSON but content-type is set to 'application/json'");
  try {
    if (!/"(?:__proto__|constructor)"\s*:/.test(text)) return JSON.parse(text);
    return JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') throw invalid();
      if (
        key === 'constructor' &&
        value !== null &&
        typeof value === 'object' &&
        Object.hasOwn(value, 'prototype')
      )
        throw invalid();
      return value;
    });
  } catch {
    throw invalid();
  }
}

/**
 * The request body as Fastify hands it to validation: null when there is none, a JSON
 * value, a string for text/plain, bytes for gzip on admin routes; 415 for anything else.
 */
async function readBody(request: Request, spec: { packageBodies?: boolean }, maxPackageBytes: number) {
  if (request.method === 'GET' || request.method === 'HEAD') return null;
  const header = request.headers.get('content-type');
  if (header === null) {
    const bytes = await readLimited(request, JSON_BODY_LIMIT);
    if (bytes.length === 0) return null;
    throw mockProblem('UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type');
  }
  const mediaType = header.split(';')[0]!.trim().toLowerCase();
  if (spec.packageBodies && PACKAGE_TYPES.includes(mediaType)) {
    return readLimited(request, maxPackageBytes);
  }
  if (mediaType === 'application/json') {
    const text = (await readLimited(request, JSON_BODY_LIMIT)).toString('utf8');
    if (text.length === 0) {
      throw mockProblem('VALIDATION', "Body cannot be empty when content-type is set to 'application/json'");
    }
    return parseJson(text);
  }
  if (mediaType === 'text/plain') return (await readLimited(request, JSON_BODY_LIMIT)).toString('utf8');
  throw mockProblem('UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type');
}

/** Query strings as Fastify parses them: a repeated key becomes an array. */
function queryObject(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of url.searchParams) {
    const previous = query[key];
    query[key] =
      previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return query;
}

/** Validate one part of the request; the problem names fields as `body.email` (as the provider). */
function validate(schema: Schema | undefined, value: unknown, part: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({
    path: [part, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  const first = errors[0]!;
  throw new MockProblem('VALIDATION', `${first.path}: ${first.message}`, {}, errors);
}

/**
 * Match a request to a route the way Fastify's router does: segment by segment, each
 * `:param` taking exactly one segment, even an empty one (`/v1/catalog/` is the detail
 * route with an empty ID: 400), and no trailing slash otherwise (`/healthz/` is a 404).
 * msw's own path patterns would accept a trailing slash anywhere.
 */
function fastifyStyleMatcher(baseUrl: string, path: string): HttpCustomPredicate<PathParams> {
  const base = baseUrl === '*' ? undefined : new URL(baseUrl);
  const prefix = base ? base.pathname.replace(/\/+$/, '') : '';
  const pattern = path.split('/');
  return ({ request }) => {
    const url = new URL(request.url);
    if (base && url.origin !== base.origin) return false;
    if (!url.pathname.startsWith(prefix)) return false;
    const segments = url.pathname.slice(prefix.length).split('/');
    if (segments.length !== pattern.length) return false;
    const params: Record<string, string> = {};
    for (const [index, part] of pattern.entries()) {
      const segment = segments[index]!;
      if (part.startsWith(':')) params[part.slice(1)] = decodeSegment(segment);
      else if (part !== segment) return false;
    }
    return { matches: true, params };
  };
}

/** A malformed escape (`%zz`) stays as it is, and then fails validation like any bad ID. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function isDecodable(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

export function routeFactory(env: RouteEnv) {
  return function route<
    P extends Schema | undefined = undefined,
    B extends Schema | undefined = undefined,
    Q extends Schema | undefined = undefined,
    H extends Schema | undefined = undefined,
    A extends Auth = Auth,
  >(spec: RouteSpec<P, B, Q, H, A>): HttpHandler {
    return http[spec.method](fastifyStyleMatcher(env.baseUrl, spec.path), async ({ request, params }) => {
      const url = new URL(request.url);
      // Like Fastify's router, refuse a malformed escape (`%zz`) before anything else runs.
      if (!isDecodable(url.pathname)) {
        return problemResponse(
          mockProblem('VALIDATION', 'the request path is not a valid URL (a malformed % escape)'),
        );
      }
      if (!spec.control) {
        if (env.faults.latencyMs > 0) await delay(env.faults.latencyMs);
        if (env.faults.takeFailure(url.pathname)) {
          return problemResponse(
            mockProblem('INTERNAL', 'something went wrong on our side; try again shortly'),
          );
        }
      }
      try {
        const session = authenticate(env, spec.auth, request);
        const body = await readBody(request, spec, env.registry.settings.maxReleaseBytes);
        const context = {
          request,
          url,
          params: validate(spec.params, { ...params }, 'params'),
          body: validate(spec.body, body, 'body'),
          rawBody: body,
          query: validate(spec.query, queryObject(url), 'querystring'),
          headers: validate(spec.headers, Object.fromEntries(request.headers), 'headers'),
          session,
        } as RouteContext<P, B, Q, H, A>;
        return await spec.handle(context);
      } catch (error) {
        if (error instanceof MockProblem) return problemResponse(error);
        // A bug in the mock, not the client's doing: answer like the provider would.
        console.error(`keyport mock: ${request.method} ${url.pathname} failed`, error);
        return problemResponse(
          mockProblem('INTERNAL', 'something went wrong on our side; try again shortly'),
        );
      }
    });
  };
}
