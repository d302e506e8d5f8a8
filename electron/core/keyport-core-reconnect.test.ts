/**
 * The core when the provider goes away and comes back, over real HTTP: the provider (the
 * MSW mock, the real provider inside) stops listening — connections are refused, as when
 * it is down — and later listens again on the same address with everything it knew. The
 * core must notice both without anyone asking, and tell the shells with `status-changed`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppStatus } from '../../shared/app-api/app-api.ts';
import { createKeyportMock, type KeyportMock } from '../../server-mock/mock.ts';
import { startMockServer, type RunningMockServer } from '../../server-mock/server.ts';
import { appErrorOf } from '../../test-support/app-error-of.ts';
import { testSecretStore } from '../../test-support/keychain.ts';
import { createKeyportCore, type CoreDependencies, type KeyportCore } from './keyport-core.ts';

describe('the core reconnects by itself', () => {
  let mock: KeyportMock;
  let server: RunningMockServer | null;
  let port: number;
  let profileDir: string;
  let core: KeyportCore | null = null;
  /** Requests the core sent to the catalog (what its probes ask), reached or not. */
  let catalogRequests = 0;
  const statuses: AppStatus[] = [];

  beforeEach(async () => {
    mock = await createKeyportMock();
    server = await startMockServer({ mock });
    port = Number(new URL(server.url).port);
    profileDir = await mkdtemp(path.join(tmpdir(), 'keyport-reconnect-'));
    catalogRequests = 0;
    statuses.length = 0;
  });
  afterEach(async () => {
    await core?.close();
    core = null;
    await server?.close();
    await mock.close();
    await rm(profileDir, { recursive: true, force: true });
  });

  async function open(reconnect: CoreDependencies['reconnect']): Promise<KeyportCore> {
    const counting: typeof fetch = (input, init) => {
      if (String(input).includes('/v1/catalog')) catalogRequests += 1;
      return fetch(input, init);
    };
    core = await createKeyportCore(
      {
        providerUrl: `http://127.0.0.1:${port}`,
        profileDir,
        dataDir: profileDir,
        simulateDevice: `reconnect-${randomBytes(4).toString('hex')}`,
        insecureSecretFile: false,
      },
      {
        secretStore: await testSecretStore(profileDir),
        syncIntervalMs: 0,
        retryDelays: [5],
        reconnect,
        fetch: counting,
      },
    );
    core.subscribe((event) => {
      if (event.name === 'status-changed') statuses.push(event.payload);
    });
    return core;
  }

  const stopProvider = async () => {
    await server?.close();
    server = null;
  };
  const startProvider = async () => {
    server = await startMockServer({ mock, port });
  };

  it('goes offline when the provider is down, and back online by itself once it returns', async () => {
    const app = await open({ firstDelayMs: 50, maxDelayMs: 200 });
    const tag = randomBytes(4).toString('hex');
    await app.createAccount({ email: `r-${tag}@example.test`, password: `pw-${tag}-long`, displayName: tag });

    await stopProvider();
    expect((await appErrorOf(app.listDevices())).code).toBe('OFFLINE');
    expect((await app.getStatus()).online).toBe(false);
    expect(statuses.at(-1)?.online).toBe(false);

    // While it is down the core keeps asking, on its own.
    const before = catalogRequests;
    await vi.waitFor(() => expect(catalogRequests).toBeGreaterThanOrEqual(before + 3), { timeout: 5000 });
    expect(statuses.at(-1)?.online).toBe(false);

    await startProvider();
    // No call from anyone: the next probe finds the provider and the shells are told.
    await vi.waitFor(() => expect(statuses.at(-1)?.online).toBe(true), { timeout: 5000 });
    const status = await app.getStatus();
    expect(status.online).toBe(true);
    expect(status.user?.displayName).toBe(tag); // still signed in: nothing was lost meanwhile
  });

  it('probes at once when a window asks for the status while offline', async () => {
    // Backoff so long that only the window's question can explain the quick return.
    const app = await open({ firstDelayMs: 10 * 60_000, maxDelayMs: 10 * 60_000 });
    await stopProvider();
    expect((await appErrorOf(app.browseCatalog({}))).code).toBe('OFFLINE');
    await startProvider();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(statuses.at(-1)?.online).toBe(false); // nothing probes by itself this soon

    expect((await app.getStatus()).online).toBe(false); // the answer comes as an event
    await vi.waitFor(() => expect(statuses.at(-1)?.online).toBe(true), { timeout: 2000 });
  });

  it('stops probing when it closes', async () => {
    const app = await open({ firstDelayMs: 20, maxDelayMs: 20 });
    await stopProvider();
    await appErrorOf(app.browseCatalog({}));
    await vi.waitFor(() => expect(catalogRequests).toBeGreaterThanOrEqual(3), { timeout: 5000 });
    await app.close();
    core = null;
    // A probe already on its way may still land; after that, silence.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = catalogRequests;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(catalogRequests).toBe(after);
  });
});
