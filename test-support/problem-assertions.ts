/**
 * Assertions on RFC 9457 problem responses, shared by the per-endpoint suites. The
 * expected status is passed in explicitly (not read from shared/provider-api/error-codes.ts), so a test
 * pins the status DESIGN §3 promises even if the code table drifts.
 */
import { expect } from 'vitest';
import { ERROR_CODES, problemType, type ErrorCode } from '../shared/provider-api/error-codes.ts';
import type { ApiResponse } from './provider-harness.ts';

/** The response is `application/problem+json` with `type`, `title`, `status` and this `code`. */
export function expectProblem(response: ApiResponse, status: number, code: ErrorCode): void {
  // Status and code together first, so a failure shows both at once.
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json(;|$)/);
  expect(response.body).toMatchObject({
    type: problemType(code),
    title: ERROR_CODES[code].title,
    status,
    code,
  });
  expect(response.body.type).toMatch(/^https:\/\//);
  expect(response.body.title.length).toBeGreaterThan(0);
}

/** 401 UNAUTHENTICATED with a Bearer challenge. */
export function expectUnauthenticated(response: ApiResponse): void {
  expectProblem(response, 401, 'UNAUTHENTICATED');
  expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
}

/** 400 VALIDATION naming the offending field in `errors` (when `path` is given). */
export function expectValidation(response: ApiResponse, path?: string): void {
  expectProblem(response, 400, 'VALIDATION');
  if (path !== undefined) {
    expect(response.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  }
}
