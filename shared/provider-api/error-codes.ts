/**
 * Every error the provider can answer with. The provider sends these as RFC 9457
 * problem+json bodies (`{type, title, status, detail, code}`); the app turns them back
 * into typed errors with a sentence a person can act on.
 */
export const ERROR_CODES = {
  VALIDATION: { status: 400, title: 'The request is not valid' },
  SAME_DEVICE: { status: 400, title: 'Source and destination are the same device' },
  UNAUTHENTICATED: { status: 401, title: 'Sign in first' },
  BAD_CREDENTIALS: { status: 401, title: 'Email or password is wrong' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  DEVICE_NOT_ENROLLED: { status: 403, title: 'That device is not enrolled to your account' },
  NOT_REGISTERED: { status: 403, title: 'That software is not registered to that device' },
  LICENSE_REVOKED: { status: 403, title: 'This copy has moved to another device' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  TRANSACTION_UNKNOWN: { status: 404, title: 'Unknown transaction ID' },
  EMAIL_TAKEN: { status: 409, title: 'An account with that email already exists' },
  DEVICE_TAKEN: { status: 409, title: 'That device is enrolled to another account' },
  DEVICE_LIMIT: { status: 409, title: 'Device limit reached' },
  DEVICE_HAS_SOFTWARE: { status: 409, title: 'Software is still registered to that device' },
  DEVICE_CLONED: { status: 409, title: 'This device ID is in use on two machines' },
  NOT_RECOGNISED: { status: 409, title: 'The devices do not look like one machine' },
  ALREADY_REGISTERED: { status: 409, title: 'Already registered' },
  ALREADY_EXISTS: { status: 409, title: 'Already exists' },
  TRANSACTION_USED: { status: 409, title: 'Transaction ID already used' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request took too long' },
  TRANSACTION_EXPIRED: { status: 410, title: 'Transaction ID expired' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  RANGE_NOT_SATISFIABLE: { status: 416, title: 'Requested range not satisfiable' },
  EXPECTATION_FAILED: { status: 417, title: 'Expectation not supported' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency-Key reused with a different request' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request headers too large' },
  INTERNAL: { status: 500, title: 'Internal error' },
  UNAVAILABLE: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The `type` URI of a problem: stable, documented, never dereferenced by clients. */
export function problemType(code: ErrorCode): string {
  return `https://keyport.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
