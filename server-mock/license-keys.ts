/**
 * The mock's license-signing key: a real Ed25519 key pair made at start-up, so license
 * keys from the mock verify with `verifyLicense` (shared/license.ts) against the mock's
 * JWKS exactly as real ones do against the provider's. Same header and claim layout as
 * server/lib/license-signer.ts; the key only lives in memory.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import type { z } from 'zod';
import type { Jwks } from '../shared/api.ts';
import { LICENSE_ALGORITHM, signLicense, type LicenseClaims } from '../shared/license.ts';

export type PublicJwks = z.infer<typeof Jwks>;

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: PublicJwks['keys'][number];
}

export class MockLicenseKeys {
  private constructor(private readonly keys: SigningKey[]) {}

  static async generate(): Promise<MockLicenseKeys> {
    return new MockLicenseKeys([await newKey()]);
  }

  /** Every public key; older keys stay so licenses signed before a rotation still verify. */
  get jwks(): PublicJwks {
    return { keys: this.keys.map((key) => ({ ...key.publicJwk })) };
  }

  get activeKid(): string {
    return this.active().kid;
  }

  /** Add a key that signs from now on (like `--rotate-license-key`). */
  async rotate(): Promise<string> {
    const key = await newKey();
    this.keys.push(key);
    return key.kid;
  }

  sign(claims: LicenseClaims): Promise<string> {
    return signLicense(claims, this.active());
  }

  private active(): SigningKey {
    return this.keys.at(-1)!;
  }
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const x = String(publicKey.export({ format: 'jwk' }).x);
  // kid = RFC 7638 thumbprint, as the provider does, so kids look alike.
  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x });
  return {
    kid,
    privateKey,
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x, kid, alg: LICENSE_ALGORITHM, use: 'sig' },
  };
}
