/**
 * One call from the renderer, as both shells handle it: check the method name and the
 * input against `CLIENT_INPUTS`, call the core, and wrap the outcome in an envelope.
 * Errors cross as `{code, message}` only — never a stack or a provider response body.
 */
import { z } from 'zod';
import { isClientMethod, type ClientApi, type ClientEnvelope } from '../../shared/client-api.ts';
import { CLIENT_INPUTS } from '../../shared/client-api-inputs.ts';
import { ClientError, toClientError } from '../../shared/client-errors.ts';

export async function dispatchClientCall(
  api: ClientApi,
  method: unknown,
  input: unknown,
): Promise<ClientEnvelope> {
  try {
    if (!isClientMethod(method)) {
      throw new ClientError('BAD_INPUT', `The app has no action called "${String(method).slice(0, 40)}".`);
    }
    const parsed = CLIENT_INPUTS[method].safeParse(input);
    if (!parsed.success) {
      throw new ClientError('BAD_INPUT', `That input is not valid: ${z.prettifyError(parsed.error)}`);
    }
    const call = api[method] as (input: unknown) => Promise<unknown>;
    return { ok: true, value: await call.call(api, parsed.data) };
  } catch (error) {
    return { ok: false, error: toClientError(error).toJSON() };
  }
}
