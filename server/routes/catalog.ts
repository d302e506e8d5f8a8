/** The catalog: open to everyone, paged with an opaque cursor, searchable. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import {
  CatalogPage,
  CatalogQuery,
  SoftwareParams,
  SoftwareResult,
} from '../../shared/provider-api/schemas.ts';
import type { ProviderContext } from '../context.ts';
import {
  containsPattern,
  findListedSoftware,
  listedSoftware,
  toCatalogItem,
} from '../lib/catalog-queries.ts';
import { problem } from '../lib/problem.ts';
import { problems } from './schema-helpers.ts';
import { decodeCursor, encodeCursor } from '../../shared/provider-api/catalog-cursor.ts';

export const catalogRoutes: FastifyPluginAsyncZod<{ ctx: ProviderContext }> = async (app, { ctx }) => {
  app.get(
    '/v1/catalog',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Browse and search the catalog',
        querystring: CatalogQuery,
        response: { 200: CatalogPage, ...problems() },
      },
    },
    async (request) => {
      const { q, cursor, limit } = request.query;
      let query = listedSoftware(ctx.registry.db);
      const search = q?.trim();
      if (search) {
        const pattern = containsPattern(search);
        query = query.where((eb) =>
          eb.or([
            eb(sql`lower(s.name)`, 'like', sql`${pattern} escape '\\'`),
            eb(sql`lower(s.summary)`, 'like', sql`${pattern} escape '\\'`),
            eb(sql`s.software_id`, 'like', sql`${pattern} escape '\\'`),
          ]),
        );
      }
      if (cursor) {
        const [name, softwareId] = decodeCursor(cursor);
        query = query.where((eb) =>
          eb.or([
            eb('s.name', '>', name),
            eb.and([eb('s.name', '=', name), eb('s.software_id', '>', softwareId)]),
          ]),
        );
      }
      const rows = await query
        .orderBy('s.name')
        .orderBy('s.software_id')
        .limit(limit + 1)
        .execute();
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map(toCatalogItem),
        nextCursor: rows.length > limit && last ? encodeCursor([last.name, last.software_id]) : null,
      };
    },
  );

  app.get(
    '/v1/catalog/:softwareId',
    {
      schema: {
        tags: ['catalog'],
        summary: 'One program with its releases',
        params: SoftwareParams,
        response: { 200: SoftwareResult, ...problems('NOT_FOUND') },
      },
    },
    async (request) => {
      const row = await findListedSoftware(ctx.registry.db, request.params.softwareId);
      if (!row)
        throw problem('NOT_FOUND', `there is no program "${request.params.softwareId}" in the catalog`);
      const releases = await ctx.registry.db
        .selectFrom('releases')
        .selectAll()
        .where('software_id', '=', row.software_id)
        .orderBy('published_at', 'desc')
        .orderBy('version', 'desc')
        .execute();
      return {
        software: {
          ...toCatalogItem(row),
          releases: releases.map((r) => ({
            version: r.version,
            sha256: r.sha256,
            sizeBytes: Number(r.size_bytes),
            expandedBytes: r.expanded_bytes === null ? null : Number(r.expanded_bytes),
            entryCount: r.entry_count === null ? null : Number(r.entry_count),
            entry: r.entry,
            publishedAt: r.published_at,
          })),
        },
      };
    },
  );
};
