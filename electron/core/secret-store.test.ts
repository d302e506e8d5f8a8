import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AsyncEntry } from '@napi-rs/keyring';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/app-api/app-errors.ts';
import { keychainService, openSecretStore } from './secret-store.ts';
import { KEYCHAIN_READY, NO_KEYCHAIN_REASON } from '../../test-support/keychain.ts';
import { skipNote } from '../../test-support/skip-note.ts';

const folders: string[] = [];
async function profile(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'keyport-secrets-'));
  folders.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe.skipIf(!KEYCHAIN_READY)(
  `the OS keychain${skipNote(KEYCHAIN_READY ? null : NO_KEYCHAIN_REASON)}`,
  () => {
    it('round-trips a secret through the real Secret Service, namespaced per profile', async () => {
      const [a, b] = [await profile(), await profile()];
      const storeA = await openSecretStore({ profileDir: a, insecureSecretFile: false });
      const storeB = await openSecretStore({ profileDir: b, insecureSecretFile: false });
      expect(storeA.kind).toBe('keychain');

      await storeA.set('license:demo', 'key-for-a');
      await storeB.set('license:demo', 'key-for-b');
      expect(await storeA.get('license:demo')).toBe('key-for-a');
      expect(await storeB.get('license:demo')).toBe('key-for-b');

      // It is really in the keychain: another reader of the same service sees it.
      const direct = new AsyncEntry(keychainService(a), 'license:demo');
      expect(await direct.getPassword()).toBe('key-for-a');

      await storeA.delete('license:demo');
      expect(await storeA.get('license:demo')).toBeNull();
      expect(await direct.getPassword()).toBeNull();
      expect(await storeB.get('license:demo')).toBe('key-for-b');
      await storeB.delete('license:demo');
    });

    it('does not write secrets into the profile folder', async () => {
      const dir = await profile();
      const store = await openSecretStore({ profileDir: dir, insecureSecretFile: true });
      expect(store.kind).toBe('keychain'); // the keychain wins even when the fallback is allowed
      await store.set('session', 'kps_secret_token');
      await expect(stat(path.join(dir, 'secrets.insecure.json'))).rejects.toThrow();
      await store.delete('session');
    });
  },
);

describe.skipIf(KEYCHAIN_READY)(
  `without a keychain${skipNote(KEYCHAIN_READY ? 'a keychain is running, so this runs where none is' : null)}`,
  () => {
    it('refuses to fall back to a file silently, and says what to do', async () => {
      const error = await openSecretStore({ profileDir: await profile(), insecureSecretFile: false }).catch(
        (e) => e,
      );
      expect(error).toBeInstanceOf(AppError);
      expect(error.code).toBe('KEYCHAIN_UNAVAILABLE');
      expect(error.message).toMatch(/--insecure-secret-file/);
    });

    it('with --insecure-secret-file keeps secrets in a 0600 file', async () => {
      const dir = await profile();
      const store = await openSecretStore({ profileDir: dir, insecureSecretFile: true });
      expect(store.kind).toBe('insecure-file');
      await store.set('license:x', 'abc');
      const file = path.join(dir, 'secrets.insecure.json');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ 'license:x': 'abc' });
      await store.delete('license:x');
      expect(await store.get('license:x')).toBeNull();
    });
  },
);
