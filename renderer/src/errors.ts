/**
 * Errors as screens show them: the `AppError`'s sentence, never a stack or a status
 * code. Anything else (a bug in the renderer) still becomes a sentence.
 */
import { AppError } from '@shared/app-api/app-errors.ts';
import { isNotAnswering } from './web-shell-bridge.ts';

export interface ShownError {
  code: string;
  message: string;
}

export function describeError(error: unknown): ShownError {
  if (error instanceof AppError) return { code: error.code, message: error.message };
  const detail = error instanceof Error ? error.message : String(error);
  return { code: 'UNEXPECTED', message: `Something went wrong in this window: ${detail}` };
}

/** Which shown errors a store drops once the condition they describe is over. */
export type StaleError = (error: ShownError) => boolean;

/** "Keyport cannot reach the store": stale once the app is online again. */
export const storeWasUnreachable: StaleError = (error) => error.code === 'OFFLINE';

/** "Keyport is not answering": stale once the local app answers this window again. */
export const appWasNotAnswering: StaleError = (error) => isNotAnswering(error);
