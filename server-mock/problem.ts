/**
 * RFC 9457 problems, exactly as the real provider writes them (server/lib/problem.ts):
 * `{type, title, status, code, detail?, errors?}` as `application/problem+json`. Mock code
 * throws `mockProblem(code, detail)`; the route wrapper turns it into a Response.
 */
import type { Problem } from '../shared/api.ts';
import { ERROR_CODES, PROBLEM_CONTENT_TYPE, problemType, type ErrorCode } from '../shared/errors.ts';

export class MockProblem extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly headers: Record<string, string> = {},
    readonly errors?: Problem['errors'],
  ) {
    super(detail ?? ERROR_CODES[code].title);
    this.name = 'MockProblem';
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

export function mockProblem(code: ErrorCode, detail?: string, headers?: Record<string, string>): MockProblem {
  return new MockProblem(code, detail, headers);
}

/** Field order as the provider sends it: type, title, status, code, detail, errors. */
export function problemBody(problem: MockProblem): Problem {
  const body: Problem = {
    type: problemType(problem.code),
    title: ERROR_CODES[problem.code].title,
    status: problem.status,
    code: problem.code,
  };
  if (problem.detail) body.detail = problem.detail;
  if (problem.errors) body.errors = problem.errors;
  return body;
}

export function problemResponse(problem: MockProblem): Response {
  const text = JSON.stringify(problemBody(problem));
  return new Response(text, {
    status: problem.status,
    headers: {
      ...problem.headers,
      'content-type': PROBLEM_CONTENT_TYPE,
      'content-length': String(Buffer.byteLength(text)),
    },
  });
}

/** The provider's catch-all for unknown routes (Fastify's not-found handler). */
export function routeNotFound(method: string, pathname: string): Response {
  return problemResponse(mockProblem('NOT_FOUND', `no route ${method} ${pathname}`));
}
