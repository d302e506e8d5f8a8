/**
 * The license server's signing keys and the act of signing a license key.
 *
 * Keys are Ed25519, kept as private JWKs in `<data>/keys/license-<kid>.json` (mode
 * 0600), `kid` being the RFC 7638 thumbprint of the public key. The newest key signs;
 * every key in the folder stays in the JWKS so licenses signed before a rotation still
 * verify until their lease ends. Rotation = `--rotate-license-key` (adds a new key).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, SignJWT, type JWK } from 'jose';
import { LICENSE_ALGORITHM, LICENSE_TYPE, type LicenseClaims } from '../../shared/license.ts';

interface StoredKey {
  kid: string;
  createdAt: string;
  privateJwk: JWK;
}

export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  kid: string;
  alg: string;
  use: string;
}

export class LicenseSigner {
  private constructor(
    private readonly active: { kid: string; privateKey: KeyObject },
    readonly jwks: { keys: PublicJwk[] },
  ) {}

  get activeKid(): string {
    return this.active.kid;
  }

  async sign(claims: LicenseClaims): Promise<string> {
    const { iat, exp, ...rest } = claims;
    return new SignJWT({ ...rest })
      .setProtectedHeader({ alg: LICENSE_ALGORITHM, kid: this.active.kid, typ: LICENSE_TYPE })
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.active.privateKey);
  }

  /** Load the keys under `dir`, creating the first one if there is none. */
  static async open(dir: string, options: { rotate?: boolean } = {}): Promise<LicenseSigner> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    let stored = await readKeys(dir);
    if (stored.length === 0 || options.rotate) {
      await writeKey(dir, await generateKey());
      stored = await readKeys(dir);
    }
    return LicenseSigner.fromStoredKeys(stored);
  }

  static fromStoredKeys(stored: StoredKey[]): LicenseSigner {
    const newest = [...stored].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).at(-1);
    if (!newest) throw new Error('no license-signing key');
    const keys = stored.map((key) => publicJwk(key));
    return new LicenseSigner(
      { kid: newest.kid, privateKey: createPrivateKey({ key: newest.privateJwk as never, format: 'jwk' }) },
      { keys },
    );
  }
}

function publicJwk(key: StoredKey): PublicJwk {
  const jwk = createPublicKey({ key: key.privateJwk as never, format: 'jwk' }).export({ format: 'jwk' });
  return { kty: 'OKP', crv: 'Ed25519', x: String(jwk.x), kid: key.kid, alg: LICENSE_ALGORITHM, use: 'sig' };
}

export async function generateKey(): Promise<StoredKey> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const privateJwk = privateKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: privateJwk.x });
  return { kid, createdAt: new Date().toISOString(), privateJwk };
}

async function writeKey(dir: string, key: StoredKey): Promise<void> {
  // `wx`: never overwrite a key; mode 0600: only the provider's user may read it.
  await writeFile(path.join(dir, `license-${key.kid}.json`), JSON.stringify(key, null, 2), {
    mode: 0o600,
    flag: 'wx',
  });
}

async function readKeys(dir: string): Promise<StoredKey[]> {
  const names = (await readdir(dir)).filter((name) => /^license-.+\.json$/.test(name));
  return Promise.all(
    names.map(async (name) => JSON.parse(await readFile(path.join(dir, name), 'utf8')) as StoredKey),
  );
}
