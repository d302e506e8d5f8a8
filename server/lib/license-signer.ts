/**
 * The license server's signing keys and the act of signing a license key.
 *
 * Keys are Ed25519 with `kid` = the RFC 7638 thumbprint of the public key. Every key
 * stays in the JWKS, so licenses signed before a rotation still verify until their
 * lease ends. They live in one of two places:
 *
 * - files (`LicenseSigner.open`, the SQLite default): private JWKs in
 *   `<data>/keys/license-<kid>.json`, mode 0600. The newest key signs;
 *   `--rotate-license-key` adds a key that signs from that moment.
 * - the database (`LicenseSigner.openShared`, PostgreSQL): one `signing_keys` table
 *   that every instance reads, so a license signed by one instance verifies against
 *   the JWKS of any other. A rotated key is published at once but only signs after a
 *   delay, by which time every instance has reloaded its keys and clients' cached
 *   JWKS (max-age 300 s) have expired: no client ever sees a kid it cannot resolve.
 *
 * Signing never touches the database. Shared keys are re-read on a timer, outside any
 * request: a reload that waited inside a request (as it once did) needed a second pool
 * connection while the request's transaction held one, so with every connection held by
 * requests waiting on that reload, the pool deadlocked until its timeout.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import { LICENSE_ALGORITHM, signLicense, type LicenseClaims } from '../../shared/license/license.ts';
import type { Database } from '../db/schema.ts';
import { addSigningKey, readSigningKeys, type SharedSigningKey } from '../db/shared-secrets.ts';

export interface StoredKey {
  kid: string;
  createdAt: string;
  privateJwk: JWK;
  /** When the key starts signing (ISO time); absent = as soon as it exists. */
  activatesAt?: string;
}

export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  kid: string;
  alg: string;
  use: string;
}

interface SigningKey {
  kid: string;
  activatesAt: number;
  privateKey: KeyObject;
  publicJwk: PublicJwk;
}

export interface SharedKeyOptions {
  /** Add a new key (it signs once `publishDelayMs` has passed). */
  rotate?: boolean;
  /** How long a rotated key is only published before it signs (default 10 minutes). */
  publishDelayMs?: number;
  /** How often an instance re-reads the keys to learn of rotations (default 30 s). */
  reloadEveryMs?: number;
}

export const DEFAULT_PUBLISH_DELAY_MS = 10 * 60_000;
const DEFAULT_RELOAD_EVERY_MS = 30_000;

export class LicenseSigner {
  private reloading: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout | undefined;

  /** `keys` oldest first; `reload` re-reads them (shared keys only), every `every` ms. */
  private constructor(
    private keys: SigningKey[],
    private readonly reload?: { every: number; read: () => Promise<SigningKey[]> },
  ) {
    if (keys.length === 0) throw new Error('no license-signing key');
    if (reload) {
      this.timer = setInterval(() => void this.reloadNow(), reload.every);
      this.timer.unref(); // never what keeps a process alive
    }
  }

  /** Stops re-reading shared keys (the provider is closing). */
  close(): void {
    clearInterval(this.timer);
  }

  /** The kid new license keys are signed with. */
  get activeKid(): string {
    return this.activeKey().kid;
  }

  /** Every public key, including one that is published but does not sign yet. */
  get jwks(): { keys: PublicJwk[] } {
    return { keys: this.keys.map((key) => key.publicJwk) };
  }

  /** Signs with the keys in memory: never waits for the database. */
  async sign(claims: LicenseClaims): Promise<string> {
    return signLicense(claims, this.activeKey());
  }

  /** The newest key whose time has come; the oldest if clocks disagree about all of them. */
  private activeKey(): SigningKey {
    const now = Date.now();
    return this.keys.findLast((key) => key.activatesAt <= now) ?? this.keys[0]!;
  }

  /**
   * Re-reads shared keys (one read at a time; a slow one is not stacked on). A failed
   * read keeps the keys we have. The timer calls it; tests call it to force a reload.
   */
  reloadNow(): Promise<void> {
    const reload = this.reload;
    if (!reload) return Promise.resolve();
    this.reloading ??= reload
      .read()
      .then((keys) => {
        if (keys.length > 0) this.keys = keys;
      })
      .catch(() => undefined)
      .finally(() => {
        this.reloading = undefined;
      });
    return this.reloading;
  }

  /** Load the keys under `dir`, creating the first one if there is none. */
  static async open(dir: string, options: { rotate?: boolean } = {}): Promise<LicenseSigner> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    let stored = await readKeyFiles(dir);
    if (stored.length === 0 || options.rotate) {
      await writeKeyFile(dir, await generateKey());
      stored = await readKeyFiles(dir);
    }
    return LicenseSigner.fromStoredKeys(stored);
  }

  /**
   * Load the keys every instance on this database shares, creating the first one if
   * there is none. Two instances starting at once both try to add key generation 1;
   * the database keeps one and both read that one back.
   */
  static async openShared(db: Kysely<Database>, options: SharedKeyOptions = {}): Promise<LicenseSigner> {
    let stored = await readSigningKeys(db);
    if (stored.length === 0 || options.rotate) {
      const key = await generateKey();
      const createdAt = Date.parse(key.createdAt);
      const delay = stored.length === 0 ? 0 : (options.publishDelayMs ?? DEFAULT_PUBLISH_DELAY_MS);
      await addSigningKey(db, {
        kid: key.kid,
        generation: (stored.at(-1)?.generation ?? 0) + 1,
        privateJwk: JSON.stringify(key.privateJwk),
        createdAt: key.createdAt,
        activatesAt: new Date(createdAt + delay).toISOString(),
      });
      stored = await readSigningKeys(db);
    }
    const read = async () => (await readSigningKeys(db)).map(sharedSigningKey);
    return new LicenseSigner(stored.map(sharedSigningKey), {
      every: options.reloadEveryMs ?? DEFAULT_RELOAD_EVERY_MS,
      read,
    });
  }

  static fromStoredKeys(stored: StoredKey[]): LicenseSigner {
    const oldestFirst = [...stored].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return new LicenseSigner(oldestFirst.map(signingKey));
  }
}

function sharedSigningKey(row: SharedSigningKey): SigningKey {
  return signingKey({
    kid: row.kid,
    createdAt: row.createdAt,
    activatesAt: row.activatesAt,
    privateJwk: JSON.parse(row.privateJwk) as JWK,
  });
}

function signingKey(key: StoredKey): SigningKey {
  return {
    kid: key.kid,
    activatesAt: Date.parse(key.activatesAt ?? key.createdAt),
    privateKey: createPrivateKey({ key: key.privateJwk as never, format: 'jwk' }),
    publicJwk: publicJwk(key),
  };
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

async function writeKeyFile(dir: string, key: StoredKey): Promise<void> {
  // `wx`: never overwrite a key; mode 0600: only the provider's user may read it.
  await writeFile(path.join(dir, `license-${key.kid}.json`), JSON.stringify(key, null, 2), {
    mode: 0o600,
    flag: 'wx',
  });
}

async function readKeyFiles(dir: string): Promise<StoredKey[]> {
  const names = (await readdir(dir)).filter((name) => /^license-.+\.json$/.test(name));
  return Promise.all(
    names.map(async (name) => JSON.parse(await readFile(path.join(dir, name), 'utf8')) as StoredKey),
  );
}
