/**
 * Starfield Atlas: the e2e tests' large program. It ships a big star catalogue so an
 * install takes long enough to watch, verifies its license like every demo program, and
 * prints what it loaded.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireLicense } from '../../../server/seed/programs/runtime.ts';

const claims = await requireLicense('starfield-atlas', 'Starfield Atlas');
const catalogue = path.join(path.dirname(fileURLToPath(import.meta.url)), 'stars.bin');
const { size } = await stat(catalogue);
console.log(`Starfield Atlas: ${Math.round(size / 1024)} KiB of stars loaded.`);
console.log(`Licensed copy ${claims.sub}; clear skies!`);
