/**
 * `--seed-demo`: a demo account, a second device registered to it (as a retailer
 * would), and a catalog of real, runnable programs. Safe to run on every start:
 * whatever is already there is left alone.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulatedDeviceId } from '../../shared/license/device-id.ts';
import type { ProviderContext } from '../context.ts';
import { createSoftware, provision, publishRelease } from '../services/admin.ts';
import { readFile } from 'node:fs/promises';
import { bundleProgram, packProgram, programBanner } from './package-builder.ts';

export const DEMO_ACCOUNT = {
  email: 'demo@keyport.local',
  password: 'keyport-demo',
  displayName: 'Demo User',
};

/** The device a retailer registered to the demo account: `--simulate-device old-laptop`. */
export const DEMO_SECOND_DEVICE = { name: 'Old laptop', simulate: 'old-laptop', platform: 'linux' };

const PROGRAMS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'programs');

/** A demo program's TypeScript entry. */
export function demoProgramSource(softwareId: string): string {
  return path.join(PROGRAMS_DIR, `${softwareId}.ts`);
}

export interface SeedOptions {
  /**
   * A folder of already-bundled programs (`<softwareId>.mjs`), as the installed provider
   * ships them; without it each program is bundled from its source with esbuild.
   */
  prebuiltProgramsDir?: string;
}

export const DEMO_CATALOG = [
  {
    softwareId: 'keyport-hello',
    name: 'Keyport Hello',
    summary: 'The smallest licensed program: it greets whoever it is licensed to. Free.',
    priceCents: 0,
    version: '1.0.0',
  },
  {
    softwareId: 'ascii-mandelbrot',
    name: 'ASCII Mandelbrot',
    summary: 'Renders the Mandelbrot set as ASCII art in your terminal.',
    priceCents: 499,
    version: '2.1.0',
  },
  {
    softwareId: 'sudoku-solver',
    name: 'Sudoku Solver',
    summary: 'Solves any 9×9 sudoku by backtracking and prints the grid.',
    priceCents: 299,
    version: '1.4.2',
  },
] as const;

export async function seedDemo(ctx: ProviderContext, options: SeedOptions = {}): Promise<void> {
  await provision(ctx, {
    ...DEMO_ACCOUNT,
    devices: [
      {
        deviceId: simulatedDeviceId(DEMO_SECOND_DEVICE.simulate),
        name: DEMO_SECOND_DEVICE.name,
        platform: DEMO_SECOND_DEVICE.platform,
      },
    ],
  });
  for (const program of DEMO_CATALOG) {
    const exists = await ctx.registry.db
      .selectFrom('releases')
      .select('version')
      .where('software_id', '=', program.softwareId)
      .where('version', '=', program.version)
      .executeTakeFirst();
    if (exists) continue;
    const software = await ctx.registry.db
      .selectFrom('software')
      .select('software_id')
      .where('software_id', '=', program.softwareId)
      .executeTakeFirst();
    if (!software) {
      await createSoftware(ctx, {
        softwareId: program.softwareId,
        name: program.name,
        summary: program.summary,
        priceCents: program.priceCents,
        currency: 'USD',
      });
    }
    const main = options.prebuiltProgramsDir
      ? await readFile(path.join(options.prebuiltProgramsDir, `${program.softwareId}.mjs`))
      : await bundleProgram(demoProgramSource(program.softwareId), programBanner(program));
    const archive = await packProgram({
      softwareId: program.softwareId,
      name: program.name,
      version: program.version,
      main,
      jwks: { issuer: ctx.settings.issuer, ...ctx.signer.jwks },
    });
    await publishRelease(ctx, program.softwareId, archive);
  }
}
