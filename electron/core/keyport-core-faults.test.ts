/**
 * What the core does when the provider misbehaves — the faults a real server cannot
 * produce on demand, switched on in the MSW mock (over real HTTP): a connection dropped
 * mid-download, a corrupted package, an expired transaction, 500s, latency.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InstallProgress } from '../../shared/app-api/app-api.ts';
import { startMockServer, type RunningMockServer } from '../../server-mock/server.ts';
import { createKeyportCore, type KeyportCore } from './keyport-core.ts';
import { appErrorOf } from '../../test-support/app-error-of.ts';
import { testSecretStore } from '../../test-support/keychain.ts';
import { packFiles } from '../../server/seed/package-builder.ts';

let server: RunningMockServer;
const opened: Array<{ core: KeyportCore; profileDir: string }> = [];

beforeAll(async () => {
  server = await startMockServer();
  // Big enough that a drop after 64 KiB is really mid-download.
  const archive = await packFiles({
    'keyport.json': JSON.stringify({ version: '1.0.0', entry: 'main.mjs' }),
    'main.mjs': "console.log('big program ran');\n",
    'data.bin': randomBytes(512 * 1024),
  });
  await server.mock.publish({ softwareId: 'big-program', name: 'Big Program', priceCents: 0, archive });
});
afterAll(() => server?.close());
afterEach(async () => {
  server.mock.faults.reset();
  for (const { core, profileDir } of opened.splice(0)) {
    await core.close();
    await rm(profileDir, { recursive: true, force: true });
  }
});

/** A signed-in, enrolled device that owns big-program. */
async function owner(): Promise<{ core: KeyportCore; profileDir: string }> {
  const profileDir = await mkdtemp(path.join(tmpdir(), 'keyport-faults-'));
  const core = await createKeyportCore(
    {
      providerUrl: server.url,
      profileDir,
      dataDir: profileDir,
      simulateDevice: `faults-${randomBytes(4).toString('hex')}`,
      insecureSecretFile: false,
    },
    { secretStore: await testSecretStore(profileDir), syncIntervalMs: 0, retryDelays: [10, 10] },
  );
  opened.push({ core, profileDir });
  const tag = randomBytes(4).toString('hex');
  await core.createAccount({
    email: `f-${tag}@example.test`,
    password: `pw-${tag}-long`,
    displayName: tag,
  });
  await core.enrolDevice({});
  await core.buy({ softwareId: 'big-program' });
  return { core, profileDir };
}

describe('the core when the provider misbehaves', () => {
  it('resumes a download whose connection dropped halfway, then installs and runs it', async () => {
    const { core } = await owner();
    server.mock.faults.dropNextDownload(64 * 1024);
    const item = await core.install({ softwareId: 'big-program' });
    expect(item.state).toBe('installed');
    expect(server.mock.faults.snapshot().dropDownload).toBeNull(); // the drop really happened
    expect((await core.run({ softwareId: 'big-program' })).output).toContain('big program ran');
  });

  it('never installs a corrupted package, and leaves nothing behind', async () => {
    const { core, profileDir } = await owner();
    server.mock.faults.corruptDownloads();
    const error = await appErrorOf(core.install({ softwareId: 'big-program' }));
    expect(error.code).toBe('CHECKSUM_MISMATCH');
    expect(error.message).toMatch(/try again/i);
    expect(await readdir(path.join(profileDir, 'apps'))).toEqual([]);
    expect(await readdir(path.join(profileDir, 'downloads', 'big-program'))).toEqual([]);
    expect((await core.getLibrary())[0]?.state).toBe('ready-to-install');

    server.mock.faults.corruptDownloads(false);
    expect((await core.install({ softwareId: 'big-program' })).state).toBe('installed');
  });

  it('an expired transaction leaves the program installed but unlicensed until the next online launch', async () => {
    const { core } = await owner();
    server.mock.faults.expireTransactions();
    const progress: InstallProgress[] = [];
    core.subscribe((event) => {
      if (event.name === 'install-progress') progress.push(event.payload);
    });
    const error = await appErrorOf(core.install({ softwareId: 'big-program' }));
    expect(error.code).toBe('TRANSACTION_EXPIRED');
    expect(error.message).toMatch(/Try installing again/);
    expect(progress.at(-1)).toMatchObject({ phase: 'failed', message: error.message });
    expect((await core.getLibrary())[0]?.state).toBe('needs-license');

    // Online, a launch heals it: the lease refresh issues the missing key.
    server.mock.faults.expireTransactions(false);
    expect((await core.run({ softwareId: 'big-program' })).output).toContain('big program ran');
    expect((await core.getLibrary())[0]?.state).toBe('installed');
  });

  it('retries what is safe to repeat, and never a single-use redeem', async () => {
    const { core } = await owner();
    server.mock.faults.failNext(1, '/v1/registrations');
    expect(await core.getLibrary()).toHaveLength(1); // a read retried after a 500

    server.mock.faults.failNext(1, '/v1/licenses/redeem');
    const error = await appErrorOf(core.install({ softwareId: 'big-program' }));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toMatch(/store had a problem/);
    expect(server.mock.faults.snapshot().failures).toEqual([]);
  });

  it('cancels an install that is waiting on a slow provider, leaving nothing installed', async () => {
    const { core, profileDir } = await owner();
    server.mock.faults.setLatency(2_000);
    const installing = appErrorOf(core.install({ softwareId: 'big-program' }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await core.cancelInstall({ softwareId: 'big-program' });
    server.mock.faults.setLatency(0);
    const error = await installing;
    // Cancelled while the registrations check or the download was in flight.
    expect(['CANCELLED']).toContain(error.code);
    expect(await readdir(path.join(profileDir, 'apps'))).toEqual([]);
  });
});
