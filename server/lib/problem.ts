/**
 * Errors as RFC 9457 problem details. Route code throws `problem(code, detail)`; the
 * error handler turns that — and every error Fastify or the validator raises for
 * something the client sent — into `application/problem+json` with a `code`.
 * Anything else is a bug: it is logged and answered as INTERNAL without details.
 */
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
