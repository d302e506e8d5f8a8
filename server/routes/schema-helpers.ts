/** Small helpers for route schemas: documented error responses and tags. */
import { z } from 'zod';
import { Problem } from '../../shared/provider-api/schemas.ts';
import { ERROR_CODES, PROBLEM_CONTENT_TYPE, type ErrorCode } from '../../shared/provider-api/error-codes.ts';

/**
 * Response schemas for the problems a route can answer with, grouped by status, so
 * /docs lists every documented error code next to the route that raises it.
 */
export function problems(
  ...codes: ErrorCode[]
): Record<number, { description: string; content: { [PROBLEM_CONTENT_TYPE]: { schema: z.ZodType } } }> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of ['VALIDATION', ...codes] as ErrorCode[]) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...new Set([...(byStatus.get(status) ?? []), code])]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      status,
      { description: `code: ${list.join(', ')}`, content: { [PROBLEM_CONTENT_TYPE]: { schema: Problem } } },
    ]),
  );
}

export const bearerAuth = [{ bearerAuth: [] }];
export const adminAuth = [{ adminAuth: [] }];
export const NoContent = z.null().describe('No content');
