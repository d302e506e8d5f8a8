/**
 * The provider's keys as the LicenseKeeper caches them: with its issuer, which every
 * check of a key uses. A cache saved before the provider published its issuer cannot say
 * which `iss` to accept, so it counts as stale and is fetched again.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderJwks } from '../../shared/provider-api/schemas.ts';
import { LicenseKeeper } from './licenses.ts';
import { LocalStateStore } from './local-state.ts';
import type { ProviderClient } from './provider-client.ts';
import type { SecretStore } from './secret-store.ts';

const KEY = { kty: 'OKP', crv: 'Ed25519', x: 'x'.repeat(43), kid: 'key-1', alg: 'EdDSA', use: 'sig' };
const FRESH: ProviderJwks = { issuer: 'keyport', keys: [KEY] };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'keyport-licenses-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A keeper over a profile whose state caches `jwks`, and a provider that counts its JWKS fetches. */
async function keeperWithCache(jwks: unknown) {
  const state = { version: 1, user: null, enrolled: false, copies: {}, jwks };
  await writeFile(path.join(dir, 'state.json'), JSON.stringify(state));
  const store = await LocalStateStore.open(dir);
  const fetches: number[] = [];
  const provider = { jwks: async () => (fetches.push(1), FRESH) } as unknown as ProviderClient;
  const device = { id: 'device', refreshReport: { components: {}, installationId: '0'.repeat(64) } };
  const keeper = new LicenseKeeper(provider, {} as SecretStore, store, device, () => new Date());
  return { keeper, store, fetches };
}

describe('LicenseKeeper.jwks', () => {
  it('answers from a cache that names the issuer, without asking the provider', async () => {
    const { keeper, fetches } = await keeperWithCache({ issuer: 'keyport', keys: [KEY] });
    expect(await keeper.jwks({ kid: 'key-1' })).toEqual(FRESH);
    expect(fetches).toHaveLength(0);
  });

  it('fetches again a cache saved before the JWKS named its issuer, and keeps the issuer', async () => {
    const { keeper, store, fetches } = await keeperWithCache({ keys: [KEY] });
    expect(store.current.jwks).toEqual({ keys: [KEY] }); // the old cache still loads
    expect(await keeper.jwks({ kid: 'key-1' })).toEqual(FRESH);
    expect(fetches).toHaveLength(1);
    expect(store.current.jwks).toEqual(FRESH);
    expect((await LocalStateStore.open(dir)).current.jwks).toEqual(FRESH);
  });
});
