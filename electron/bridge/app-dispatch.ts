/**
 * One call from the renderer, as both shells handle it: check the method name and the
 * input against `APP_INPUTS`, call the core, and wrap the outcome in an envelope.
 * Errors cross as `{code, message}` only — never a stack or a provider response body.
 */
import { z } from 'zod';
import { isAppMethod, type AppApi, type AppEnvelope } from '../../shared/app-api/app-api.ts';
import { APP_INPUTS } from '../../shared/app-api/inputs.ts';
import { AppError, toAppError } from '../../shared/app-api/app-errors.ts';

export async function dispatchAppCall(api: AppApi, method: unknown, input: unknown): Promise<AppEnvelope> {
  try {
    if (!isAppMethod(method)) {
      throw new AppError('BAD_INPUT', `The app has no action called "${String(method).slice(0, 40)}".`);
    }
    const parsed = APP_INPUTS[method].safeParse(input);
    if (!parsed.success) {
      throw new AppError('BAD_INPUT', `That input is not valid: ${z.prettifyError(parsed.error)}`);
    }
    const call = api[method] as (input: unknown) => Promise<unknown>;
    return { ok: true, value: await call.call(api, parsed.data) };
  } catch (error) {
    return { ok: false, error: toAppError(error).toJSON() };
  }
}
