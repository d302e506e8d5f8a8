/**
 * RFC 9457 problem details as the provider writes them: `{type, title, status, code,
 * detail?, errors?}`. Shared by the provider (server/lib/problem.ts) and the mock's fault
 * layer (server-mock/), whose forced 500s look like the provider's own.
 */
import type { Problem } from './schemas.ts';
import { ERROR_CODES, problemType, type ErrorCode } from './error-codes.ts';

export class ProblemError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly headers: Record<string, string> = {},
    readonly errors?: Problem['errors'],
  ) {
    super(detail ?? ERROR_CODES[code].title);
    this.name = 'ProblemError';
  }
  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

export function problem(code: ErrorCode, detail?: string, headers?: Record<string, string>): ProblemError {
  return new ProblemError(code, detail, headers);
}

export function toProblemBody(error: ProblemError): Problem {
  const body: Problem = {
    type: problemType(error.code),
    title: ERROR_CODES[error.code].title,
    status: error.status,
    code: error.code,
  };
  if (error.detail) body.detail = error.detail;
  if (error.errors) body.errors = error.errors;
  return body;
}
