/**
 * The license-key verifier (DESIGN §2). A license key is a JWS compact token signed
 * with Ed25519 (`alg: EdDSA`, `kid` in the header). Anyone holding the provider's
 * public keys (JWKS) can check it offline: the app before every launch, and the
 * installed program itself, which receives the key as `KEYPORT_LICENSE`.
 *
 * This module depends only on `jose`, so it bundles into a demo program unchanged.
 */
import {
  createLocalJWKSet,
  errors,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type KeyObject,
} from 'jose';

export const LICENSE_ALGORITHM = 'EdDSA';
export const LICENSE_TYPE = 'keyport-license+jwt';

export interface LicenseClaims {
  iss: string;
  sub: string;
  sw: string;
  usr: string;
  dev: string;
  iat: number;
  exp: number;
  jti: string;
}

export type LicenseFailure =
  | 'MALFORMED'
  | 'BAD_SIGNATURE'
  | 'UNKNOWN_KEY'
  | 'EXPIRED'
  | 'WRONG_SOFTWARE'
  | 'WRONG_DEVICE'
  | 'WRONG_ISSUER';

export class LicenseInvalidError extends Error {
  constructor(
    readonly reason: LicenseFailure,
    message: string,
  ) {
    super(message);
    this.name = 'LicenseInvalidError';
  }
}

export interface VerifyOptions {
  /** Refuse unless the key was issued for this software. */
  softwareId?: string;
  /** Refuse unless the key was issued to this device. */
  deviceId?: string;
  /** Refuse unless the key was issued by this provider. */
  issuer?: string;
  /** Clock for the lease check (seconds or Date); defaults to now. */
  now?: Date;
}

/**
 * A provider's JWKS as GET /v1/licenses/jwks serves it: the public keys and, beside them
 * (JWKS allows extra members), the provider's issuer — the `iss` of every key it signs.
 */
export interface ProviderKeys extends JSONWebKeySet {
  issuer: string;
}

/**
 * Verify a license key against a JWKS. Resolves to the claims, or rejects with a
 * LicenseInvalidError whose `reason` says which check failed. Only EdDSA is accepted,
 * so `alg: none` and HMAC-with-the-public-key tricks fail as BAD_SIGNATURE.
 */
export async function verifyLicense(
  licenseKey: string,
  jwks: JSONWebKeySet,
  options: VerifyOptions = {},
): Promise<LicenseClaims> {
  let payload: Record<string, unknown>;
  try {
    const result = await jwtVerify(licenseKey, createLocalJWKSet(jwks), {
      algorithms: [LICENSE_ALGORITHM],
      typ: LICENSE_TYPE,
      currentDate: options.now,
      issuer: options.issuer,
      clockTolerance: 0,
    });
    payload = result.payload as Record<string, unknown>;
  } catch (error) {
    throw toLicenseError(error, options.issuer);
  }
  const claims = readClaims(payload);
  if (options.softwareId !== undefined && claims.sw !== options.softwareId) {
    throw new LicenseInvalidError(
      'WRONG_SOFTWARE',
      `this license is for ${claims.sw}, not ${options.softwareId}`,
    );
  }
  if (options.deviceId !== undefined && claims.dev !== options.deviceId) {
    throw new LicenseInvalidError('WRONG_DEVICE', 'this license was issued to another device');
  }
  return claims;
}

/**
 * The check to make before trusting a key (the app before a launch, a program as it
 * starts): against the provider's keys *and* its issuer, which travel together. Keys
 * shared by two issuers (the same data under another `--issuer`) would otherwise let
 * one's licenses run as the other's. The type makes the issuer impossible to forget; a
 * JWKS read from a file without one refuses every key rather than accepting any issuer.
 */
export function verifyProviderLicense(
  licenseKey: string,
  provider: ProviderKeys,
  options: Omit<VerifyOptions, 'issuer'> = {},
): Promise<LicenseClaims> {
  if (typeof provider.issuer !== 'string' || provider.issuer === '') {
    return Promise.reject(
      new LicenseInvalidError('WRONG_ISSUER', 'the public keys do not name their provider (no "issuer")'),
    );
  }
  return verifyLicense(licenseKey, provider, { ...options, issuer: provider.issuer });
}

function readClaims(payload: Record<string, unknown>): LicenseClaims {
  const strings = ['iss', 'sub', 'sw', 'usr', 'dev', 'jti'] as const;
  const numbers = ['iat', 'exp'] as const;
  for (const name of strings) {
    if (typeof payload[name] !== 'string' || payload[name] === '') {
      throw new LicenseInvalidError('MALFORMED', `the license has no "${name}" claim`);
    }
  }
  for (const name of numbers) {
    if (typeof payload[name] !== 'number') {
      throw new LicenseInvalidError('MALFORMED', `the license has no "${name}" claim`);
    }
  }
  return payload as unknown as LicenseClaims;
}

function toLicenseError(error: unknown, issuer: string | undefined): LicenseInvalidError {
  if (error instanceof LicenseInvalidError) return error;
  if (error instanceof errors.JWTExpired) {
    return new LicenseInvalidError('EXPIRED', 'the license lease has expired; go online to refresh it');
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new LicenseInvalidError(
      'UNKNOWN_KEY',
      'the license was signed by a key this provider does not publish',
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new LicenseInvalidError('BAD_SIGNATURE', 'the license signature does not match its contents');
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new LicenseInvalidError('BAD_SIGNATURE', 'the license is not signed with Ed25519');
  }
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'iss') {
    return error.reason === 'missing'
      ? new LicenseInvalidError('MALFORMED', 'the license has no "iss" claim')
      : new LicenseInvalidError(
          'WRONG_ISSUER',
          `the license was issued by ${JSON.stringify(error.payload.iss)}, not by ${JSON.stringify(issuer)}`,
        );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new LicenseInvalidError('MALFORMED', `the license key is not valid: ${message}`);
}

/**
 * Sign claims as a license key: the one format the provider issues (and its mock
 * imitates), Ed25519 with the key's `kid` and the license `typ` in the header.
 */
export function signLicense(
  claims: LicenseClaims,
  key: { kid: string; privateKey: KeyObject | CryptoKey },
): Promise<string> {
  const { iat, exp, ...rest } = claims;
  return new SignJWT({ ...rest })
    .setProtectedHeader({ alg: LICENSE_ALGORITHM, kid: key.kid, typ: LICENSE_TYPE })
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key.privateKey);
}

/** The first 12 characters of a device ID: enough to tell devices apart on screen. */
export function shortDeviceId(deviceId: string): string {
  return deviceId.slice(0, 12);
}
