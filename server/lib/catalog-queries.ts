/** Catalog reads shared by the catalog, purchase and download routes. */
import { sql, type Kysely } from 'kysely';
import type { CatalogItem } from '../../shared/provider-api/schemas.ts';
import type { Database, ReleaseRow, SoftwareRow } from '../db/schema.ts';

/**
 * Software joined with its newest release; software without a release is not for sale.
 * Exactly one release per program, even when two share a `published_at` (the same
 * millisecond): ties go to the greater version string, the order in which
 * GET /v1/catalog/:softwareId lists releases.
 */
export function listedSoftware(db: Kysely<Database>) {
  return db
    .selectFrom('software as s')
    .innerJoin('releases as r', 'r.software_id', 's.software_id')
    .where('r.version', '=', (eb) =>
      eb
        .selectFrom('releases as newest')
        .select('newest.version')
        .whereRef('newest.software_id', '=', 's.software_id')
        .orderBy('newest.published_at', 'desc')
        .orderBy('newest.version', 'desc')
        .limit(1),
    )
    .select([
      's.software_id',
      's.name',
      's.summary',
      's.price_cents',
      's.currency',
      's.created_at',
      'r.version',
      'r.size_bytes',
      'r.sha256',
      'r.entry',
      'r.published_at',
    ]);
}

export type ListedSoftware = SoftwareRow &
  Pick<ReleaseRow, 'version' | 'size_bytes' | 'sha256' | 'entry' | 'published_at'>;

export function toCatalogItem(row: ListedSoftware): CatalogItem {
  return {
    softwareId: row.software_id,
    name: row.name,
    summary: row.summary,
    priceCents: Number(row.price_cents),
    currency: row.currency,
    version: row.version,
    sizeBytes: Number(row.size_bytes),
  };
}

export async function findListedSoftware(
  db: Kysely<Database>,
  softwareId: string,
): Promise<ListedSoftware | undefined> {
  return listedSoftware(db).where('s.software_id', '=', softwareId).executeTakeFirst();
}

/** A LIKE pattern that matches `text` anywhere, with LIKE's wildcards escaped. */
export function containsPattern(text: string) {
  const escaped = text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
  return sql<string>`${`%${escaped}%`}`;
}
