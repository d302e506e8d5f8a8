/**
 * Random identifiers and secrets. Secrets (session tokens, transaction IDs, the admin
 * token) are only ever stored as SHA-256 digests; comparing digests of 256-bit random
 * values needs no slow hash, and a database leak reveals nothing usable.
 */
import { createHash, randomBytes } from 'node:crypto';

/** An opaque, prefixed ID such as `usr_Q2x…`: the prefix says what it names in logs. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

/** A 256-bit bearer secret with a recognisable prefix (so leaked ones can be scanned for). */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function sha256Hex(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('hex');
}
