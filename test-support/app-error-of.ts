import { AppError } from '../shared/app-api/app-errors.ts';

/** The AppError a call fails with; anything else (or success) fails the test. */
export async function appErrorOf(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected a AppError, got ${String(error)}`);
  return error;
}
