/**
 * The mock's license-signing keys: the provider's own signer (server/lib/license-signer.ts)
 * over keys that live only in memory, so license keys from the mock are made exactly as
 * real ones are and verify with `verifyLicense` against the mock's JWKS.
 */
import type { z } from 'zod';
import type { Jwks } from '../shared/api.ts';
import type { LicenseClaims } from '../shared/license.ts';
import { generateKey, LicenseSigner, type StoredKey } from '../server/lib/license-signer.ts';

export type PublicJwks = z.infer<typeof Jwks>;

export class MockLicenseKeys {
  private constructor(
    private readonly stored: StoredKey[],
    private signer: LicenseSigner,
  ) {}

  static async generate(): Promise<MockLicenseKeys> {
    const key = await generateKey();
    return new MockLicenseKeys([key], LicenseSigner.fromStoredKeys([key]));
  }

  /** Every public key; older keys stay so licenses signed before a rotation still verify. */
  get jwks(): PublicJwks {
    return structuredClone(this.signer.jwks);
  }

  get activeKid(): string {
    return this.signer.activeKid;
  }

  /** Add a key that signs from now on (like `--rotate-license-key` on SQLite). */
  async rotate(): Promise<string> {
    const key = await generateKey();
    this.stored.push(key);
    this.signer = LicenseSigner.fromStoredKeys(this.stored);
    return key.kid;
  }

  sign(claims: LicenseClaims): Promise<string> {
    return this.signer.sign(claims);
  }
}
