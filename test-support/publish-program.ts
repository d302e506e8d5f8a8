/**
 * Publishing a runnable program through the admin API, for the core's tests (against
 * the provider and the mock) and the e2e run. Kept apart from backends.ts so the e2e
 * tests can use it without pulling in the provider's test harness.
 */
import { buildProgramPackage } from '../server/seed/package-builder.ts';

/** A program built from TypeScript `source`, as the admin API publishes it. */
export interface BuiltProgram {
  softwareId: string;
  name: string;
  summary: string;
  priceCents: number;
  version: string;
  source: string;
  extraFiles?: Record<string, string | Buffer>;
}

/**
 * Create the software and publish a release of it through the admin API, over HTTP: the
 * way a retailer would, against the provider or the mock alike. The program bundles the
 * provider's JWKS, so it can verify its own license.
 */
export async function publishBuiltProgram(
  url: string,
  adminToken: string,
  program: BuiltProgram,
): Promise<void> {
  const auth = { authorization: `Bearer ${adminToken}` };
  const { softwareId, name, summary, priceCents } = program;
  const created = await fetch(`${url}/v1/admin/software`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ softwareId, name, summary, priceCents, currency: 'USD' }),
  });
  if (created.status !== 201)
    throw new Error(`create ${softwareId}: ${created.status} ${await created.text()}`);
  const jwks = await (await fetch(`${url}/v1/licenses/jwks`)).json();
  const archive = await buildProgramPackage({ ...program, jwks });
  const release = await fetch(`${url}/v1/admin/software/${softwareId}/releases`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/gzip' },
    body: new Uint8Array(archive),
  });
  if (release.status !== 201)
    throw new Error(`publish ${softwareId}: ${release.status} ${await release.text()}`);
}
