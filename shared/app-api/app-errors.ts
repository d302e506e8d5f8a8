/**
 * The app's one error type. Every failure the renderer or the CLI can see is a
 * `AppError` with a stable `code` and a sentence a person can act on; provider
 * problems (problem+json) are translated here, so no screen ever shows a status code.
 */
import { ERROR_CODES, type ErrorCode } from '../provider-api/error-codes.ts';

/** Failures that start on this side of the wire. */
export const APP_ONLY_CODES = [
  'OFFLINE',
  'PROVIDER_ERROR',
  'BAD_INPUT',
  'NOT_SIGNED_IN',
  'NOT_ENROLLED',
  'KEYCHAIN_UNAVAILABLE',
  'DOWNLOAD_FAILED',
  'CHECKSUM_MISMATCH',
  'UNSAFE_PACKAGE',
  'INSTALL_FAILED',
  'NOT_INSTALLED',
  'CANCELLED',
  'BUSY',
  'LICENSE_MISSING',
  'LICENSE_INVALID',
  'DEVICE_MISMATCH',
  'PROFILE_IN_USE',
  'PROFILE_OF_ANOTHER_DEVICE',
  'PROFILE_OF_ANOTHER_ACCOUNT',
  'COPY_MOVED',
  'RUN_FAILED',
  'UNEXPECTED',
] as const;
export type AppOnlyCode = (typeof APP_ONLY_CODES)[number];
export type AppErrorCode = ErrorCode | AppOnlyCode;

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }

  toJSON(): { code: AppErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** The store could not be reached or did not work: a launch relies on the lease alone. */
export function storeUnreachable(error: unknown): error is AppError {
  return error instanceof AppError && ['OFFLINE', 'UNAVAILABLE', 'INTERNAL'].includes(error.code);
}

/** The provider's word that this copy is no longer this device's (moved, or never here). */
export function copyGoneFromDevice(error: unknown): error is AppError {
  return error instanceof AppError && (error.code === 'LICENSE_REVOKED' || error.code === 'NOT_REGISTERED');
}

/**
 * The provider would not renew a lease because this device ID is in use on two machines:
 * the copy is still this device's, so its key stays and runs until the lease ends.
 */
export function renewalRefusedAsClone(error: unknown): error is AppError {
  return error instanceof AppError && error.code === 'DEVICE_CLONED';
}

export function isAppErrorCode(value: unknown): value is AppErrorCode {
  return (
    typeof value === 'string' &&
    (Object.hasOwn(ERROR_CODES, value) || (APP_ONLY_CODES as readonly string[]).includes(value))
  );
}

/** What to tell a person when the provider answers with this code. */
const PROVIDER_SENTENCES: Record<ErrorCode, string> = {
  VALIDATION: 'Some of what was entered is not valid. Check it and try again.',
  SAME_DEVICE: 'Pick a destination that is not the source device.',
  UNAUTHENTICATED: 'Your session has ended. Sign in again.',
  BAD_CREDENTIALS: 'That email and password do not match an account. Check them and try again.',
  FORBIDDEN: 'Your account is not allowed to do that.',
  DEVICE_NOT_ENROLLED: 'That device is not enrolled to your account. Enrol it first.',
  NOT_REGISTERED: 'This copy is not registered to this device. Buy it, or transfer it here.',
  LICENSE_REVOKED: 'This copy has moved to another of your devices, so it no longer runs here.',
  NOT_FOUND: 'The store does not have that item (any more).',
  TRANSACTION_UNKNOWN: 'The license handshake was not recognised. Try installing again.',
  EMAIL_TAKEN: 'An account with that email already exists. Sign in instead.',
  DEVICE_TAKEN: 'This device is enrolled to another account. Sign in with that account.',
  DEVICE_LIMIT:
    'Your account has reached its device limit. Retire a device you no longer use, then try again.',
  DEVICE_HAS_SOFTWARE: 'Software is still registered to that device. Transfer it away first.',
  DEVICE_CLONED:
    'This device ID is also in use on another machine (a cloned disk or copied system), so the store no longer renews licenses here. Run `keyport devices` to see it, and contact the store if this machine is the original.',
  NOT_RECOGNISED:
    'That device does not look like this machine, so its programs cannot be moved here in one step. Move them one at a time with the transfer wizard.',
  ALREADY_REGISTERED: 'You already own this copy; it is in your library.',
  ALREADY_EXISTS: 'That already exists.',
  TRANSACTION_USED: 'That license handshake was already used. Try installing again.',
  TRANSACTION_EXPIRED: 'The license handshake took too long. Try installing again.',
  PAYLOAD_TOO_LARGE: 'That is too large to send.',
  REQUEST_TIMEOUT: 'The store did not receive the request in time. Check your connection and try again.',
  EXPECTATION_FAILED: 'The app sent a request the store does not support. Update the app.',
  HEADERS_TOO_LARGE:
    'The app sent a request the store refuses as too large. Sign out and in again; if it persists, update the app.',
  UNSUPPORTED_MEDIA_TYPE: 'The app sent something the store does not accept. Update the app.',
  RANGE_NOT_SATISFIABLE: 'The download could not resume. Try installing again.',
  IDEMPOTENCY_KEY_REUSED: 'The store saw a conflicting retry. Try again.',
  RATE_LIMITED: 'Too many attempts. Wait a little and try again.',
  INTERNAL: 'The store had a problem. Try again in a moment.',
  UNAVAILABLE: 'The store is busy or down. Try again in a moment.',
};

/** A provider problem (RFC 9457 body with a `code`) as a AppError. */
export function appErrorFromProblem(status: number, body: unknown): AppError {
  const code = (body as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && Object.hasOwn(PROVIDER_SENTENCES, code)) {
    const sentence = PROVIDER_SENTENCES[code as ErrorCode];
    const detail = (body as { detail?: unknown }).detail;
    // VALIDATION details name the field; the others would only repeat the sentence.
    const message =
      code === 'VALIDATION' && typeof detail === 'string' ? `${sentence} (${detail})` : sentence;
    return new AppError(code as ErrorCode, message);
  }
  return new AppError(
    'PROVIDER_ERROR',
    `The store answered with an unexpected error (HTTP ${status}). Try again in a moment.`,
  );
}

/** Any thrown value as a AppError: unknown failures keep their message, not their stack. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new AppError('CANCELLED', 'Cancelled.');
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AppError('UNEXPECTED', `Something went wrong: ${message}`);
}
