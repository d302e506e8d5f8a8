/**
 * Secrets that every provider instance on one database must share: license-signing
 * keys and the admin token's digest. Every write is "insert unless someone already
 * did, then read back what is there", so instances that start at the same moment
 * agree on one answer without a lock.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface SharedSigningKey {
  kid: string;
  generation: number;
  /** The private key as a JWK (JSON text). */
  privateJwk: string;
  createdAt: string;
  activatesAt: string;
}

export async function readSigningKeys(db: Kysely<Database>): Promise<SharedSigningKey[]> {
  const rows = await db.selectFrom('signing_keys').selectAll().orderBy('generation').execute();
  return rows.map((row) => ({
    kid: row.kid,
    generation: Number(row.generation),
    privateJwk: row.private_jwk,
    createdAt: row.created_at,
    activatesAt: row.activates_at,
  }));
}

/**
 * Add `key` as generation `key.generation` unless that generation exists already.
 * Returns whether this call added it (false: another instance got there first).
 */
export async function addSigningKey(db: Kysely<Database>, key: SharedSigningKey): Promise<boolean> {
  const result = await db
    .insertInto('signing_keys')
    .values({
      kid: key.kid,
      generation: key.generation,
      private_jwk: key.privateJwk,
      created_at: key.createdAt,
      activates_at: key.activatesAt,
    })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** The value stored under `name`, or undefined. */
export async function readSharedSecret(db: Kysely<Database>, name: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('provider_secrets')
    .select('value')
    .where('name', '=', name)
    .executeTakeFirst();
  return row?.value;
}

/**
 * Store `value` under `name` unless a value is there already; returns the value that
 * is stored afterwards — `value` if this call won, the earlier one if not.
 */
export async function claimSharedSecret(db: Kysely<Database>, name: string, value: string): Promise<string> {
  await db
    .insertInto('provider_secrets')
    .values({ name, value, created_at: new Date().toISOString() })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const stored = await readSharedSecret(db, name);
  if (stored === undefined) throw new Error(`shared secret ${name} vanished while it was being stored`);
  return stored;
}
