/**
 * RFC 9457 problems, exactly as the real provider writes them (server/lib/problem.ts):
 * `{type, title, status, code, detail?, errors?}` as `application/problem+json`. Mock code
 * throws `mockProblem(code, detail)`; the route wrapper turns it into a Response.
 */
import { PROBLEM_CONTENT_TYPE } from '../shared/errors.ts';
import { ProblemError, toProblemBody } from '../shared/problem.ts';

// The mock names them for what they are in its code; the classes are the provider's own.
export {
  ProblemError as MockProblem,
  problem as mockProblem,
  toProblemBody as problemBody,
} from '../shared/problem.ts';

export function problemResponse(problem: ProblemError): Response {
  const text = JSON.stringify(toProblemBody(problem));
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
  return problemResponse(new ProblemError('NOT_FOUND', `no route ${method} ${pathname}`));
}
