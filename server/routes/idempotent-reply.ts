/**
 * The answer to a request that honours `Idempotency-Key`: the stored status and body, and
 * `Idempotent-Replayed: true` when this is a retry answered from the first attempt.
 */
import type { FastifyReply } from 'fastify';
import type { IdempotentResult } from '../lib/idempotency.ts';

export function sendIdempotent<T>(reply: FastifyReply, result: IdempotentResult<T>) {
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(result.status as 201).send(result.body);
}
