/**
 * The real provider for the e2e tests: Fastify + SQLite in this process over real HTTP,
 * seeded with the demo catalog, plus one large program (Starfield Atlas) whose install
 * takes long enough to watch through the slow link.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../../server/app.ts';
import { seedDemo } from '../../server/seed/demo.ts';
import { publishBuiltProgram } from '../../test-support/publish-program.ts';

export const BIG_PROGRAM = {
  softwareId: 'starfield-atlas',
  name: 'Starfield Atlas',
  summary: 'A sky atlas of 2.5 million stars you can explore offline, from Sirius to the faintest dwarfs.',
  priceCents: 1299,
  /** Incompressible, so the download really is this big. */
  dataBytes: 12 * 1024 * 1024,
};

export interface E2eProvider {
  url: string;
  adminToken: string;
  close(): Promise<void>;
}

export async function startE2eProvider(): Promise<E2eProvider> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'keyport-e2e-provider-'));
  const adminToken = `kpa_e2e_${randomBytes(16).toString('hex')}`;
  const app = await buildApp({
    dataDir,
    adminToken,
    logger: false,
    settings: { rateLimits: { enabled: false } },
  });
  await seedDemo(app.keyport);
  const url = (await app.listen({ host: '127.0.0.1', port: 0 })).replace(/\/+$/, '');
  await publishBigProgram(url, adminToken);
  return {
    url,
    adminToken,
    async close() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function publishBigProgram(url: string, adminToken: string): Promise<void> {
  const { dataBytes, ...listing } = BIG_PROGRAM;
  return publishBuiltProgram(url, adminToken, {
    ...listing,
    version: '3.2.0',
    source: fileURLToPath(new URL('./programs/starfield-atlas.ts', import.meta.url)),
    extraFiles: { 'stars.bin': randomBytes(dataBytes) },
  });
}
