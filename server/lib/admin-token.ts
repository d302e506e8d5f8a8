/**
 * Where the admin token comes from. The provider keeps only its SHA-256 in memory and
 * compares digests, so an instance can accept a token it never saw in clear.
 *
 * 1. `KEYPORT_ADMIN_TOKEN` (or an explicit token) wins everywhere. With several
 *    instances, set the same value on all of them — or set none:
 * 2. SQLite: generated once into `<data>/admin-token` (0600).
 * 3. PostgreSQL: generated once by whichever instance starts first; its digest goes
 *    into the database for every other instance, and the token itself into that
 *    instance's `<data>/admin-token` for the operator to read.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { claimSharedSecret } from '../db/shared-secrets.ts';
import { newSecret, sha256Hex } from './secrets.ts';

export interface AdminToken {
  /** SHA-256 (hex) of the token; requests are checked against this. */
  sha256: string;
  /** Where an operator finds the token, for the start-up banner (never the token). */
  location: string;
}

const SHARED_SECRET_NAME = 'admin-token-sha256';
const FROM_ENVIRONMENT = 'from KEYPORT_ADMIN_TOKEN';

function tokenFile(dataDir: string): string {
  return path.join(dataDir, 'admin-token');
}

async function readTokenFile(dataDir: string): Promise<string | undefined> {
  try {
    return (await readFile(tokenFile(dataDir), 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Write the token file unless one exists (`wx`); another process may have won. */
async function writeTokenFile(dataDir: string, token: string): Promise<void> {
  await writeFile(tokenFile(dataDir), `${token}\n`, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
}

/** A token set by the operator (explicitly or in KEYPORT_ADMIN_TOKEN) wins everywhere. */
function configuredToken(explicit: string | undefined): AdminToken | undefined {
  const configured = explicit ?? process.env.KEYPORT_ADMIN_TOKEN;
  return configured ? { sha256: sha256Hex(configured), location: FROM_ENVIRONMENT } : undefined;
}

/** The configured token, else the one in `<data>/admin-token`, generated if missing. */
export async function fileAdminToken(dataDir: string, explicit?: string): Promise<AdminToken> {
  const configured = configuredToken(explicit);
  if (configured) return configured;
  let token = await readTokenFile(dataDir);
  if (!token) {
    await writeTokenFile(dataDir, newSecret('kpa'));
    token = await readTokenFile(dataDir);
  }
  if (!token) throw new Error(`could not read back the admin token in ${tokenFile(dataDir)}`);
  return { sha256: sha256Hex(token), location: tokenFile(dataDir) };
}

/** The admin token every instance on this database accepts. */
export async function sharedAdminToken(
  db: Kysely<Database>,
  dataDir: string,
  explicit?: string,
): Promise<AdminToken> {
  const configured = configuredToken(explicit);
  if (configured) return configured;
  // A token already in this data folder (say, from the SQLite days) is offered first.
  const local = await readTokenFile(dataDir);
  const candidate = local ?? newSecret('kpa');
  const stored = await claimSharedSecret(db, SHARED_SECRET_NAME, sha256Hex(candidate));
  if (stored !== sha256Hex(candidate)) {
    return {
      sha256: stored,
      location:
        'shared through the database; it is in the data folder (admin-token) of the instance that ' +
        'generated it, or set KEYPORT_ADMIN_TOKEN on every instance to replace it',
    };
  }
  if (!local) await writeTokenFile(dataDir, candidate);
  return { sha256: stored, location: `${tokenFile(dataDir)} (shared through the database)` };
}
