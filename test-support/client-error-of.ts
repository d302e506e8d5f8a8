import { ClientError } from '../shared/client-errors.ts';

/** The ClientError a call fails with; anything else (or success) fails the test. */
export async function clientErrorOf(promise: Promise<unknown>): Promise<ClientError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof ClientError)) throw new Error(`expected a ClientError, got ${String(error)}`);
  return error;
}
