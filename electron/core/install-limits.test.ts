/**
 * An install is held to what the provider measured when it accepted the release
 * (limitsDeclaredBy): the figures travel with the release, and a package that expands
 * to more than its release says is refused before anything is written.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoProgramSource } from '../../server/seed/demo.ts';
import { createKeyportCore, type KeyportCore } from './keyport-core.ts';
import { testSecretStore } from '../../test-support/keychain.ts';
import { appErrorOf } from '../../test-support/app-error-of.ts';
import { startProvider, type TestProvider } from '../../test-support/provider-harness.ts';
import { publishBuiltProgram } from '../../test-support/publish-program.ts';

const SOFTWARE = 'keyport-hello';
let provider: TestProvider;
let profileDir: string;
let core: KeyportCore;
let declared: number;

beforeAll(async () => {
  provider = await startProvider();
  await publishBuiltProgram(provider.url, provider.adminToken, {
    softwareId: SOFTWARE,
    name: 'Keyport Hello',
    summary: 'The demo program, for the install limits',
    priceCents: 0,
    version: '1.0.0',
    source: demoProgramSource(SOFTWARE),
  });
  profileDir = await mkdtemp(path.join(tmpdir(), 'keyport-limits-'));
  core = await createKeyportCore(
    {
      providerUrl: provider.url,
      profileDir,
      dataDir: profileDir,
      simulateDevice: `desk-${randomBytes(4).toString('hex')}`,
      insecureSecretFile: false,
    },
    { secretStore: await testSecretStore(profileDir), syncIntervalMs: 0, retryDelays: [10] },
  );
  const tag = randomBytes(4).toString('hex');
  await core.createAccount({
    email: `limits-${tag}@example.test`,
    password: `pw-${tag}-secret`,
    displayName: tag,
  });
  await core.enrolDevice({});
  await core.buy({ softwareId: SOFTWARE });
});
afterAll(async () => {
  await core?.close();
  await rm(profileDir, { recursive: true, force: true });
  await provider?.close();
});

describe('install limits declared by the release', () => {
  it('the catalog says what each release expands to', async () => {
    const software = await core.getSoftware({ softwareId: SOFTWARE });
    const release = software.releases[0]!;
    // keyport.json, main.mjs, jwks.json at least; the bundle alone is kilobytes.
    expect(release.entryCount).toBeGreaterThanOrEqual(3);
    expect(release.expandedBytes).toBeGreaterThan(1000);
    declared = release.entryCount!;
  });

  it('refuses a package that expands to more than its release declares, and writes nothing', async () => {
    // As if the package were swapped for a bigger one behind the provider's back.
    await provider.app.keyport.registry.db
      .updateTable('releases')
      .set({ entry_count: declared - 1 })
      .where('software_id', '=', SOFTWARE)
      .execute();
    const error = await appErrorOf(core.install({ softwareId: SOFTWARE }));
    expect(error.code).toBe('UNSAFE_PACKAGE');
    expect(error.message).toContain(`more than ${declared - 1} entries`);
    expect(await readdir(path.join(profileDir, 'apps')).catch(() => [])).toEqual([]);
  });

  it('installs it when the declaration holds', async () => {
    await provider.app.keyport.registry.db
      .updateTable('releases')
      .set({ entry_count: declared })
      .where('software_id', '=', SOFTWARE)
      .execute();
    await core.install({ softwareId: SOFTWARE });
    const run = await core.run({ softwareId: SOFTWARE });
    expect(run.exitCode).toBe(0);
  });
});
