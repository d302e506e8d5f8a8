/**
 * The secret store tests use: the real OS keychain when the run has one
 * (`scripts/with-keychain.sh`, which `npm test` uses), else — outside CI only — the
 * opt-in file store, so the rest of the core still gets tested on a bare machine.
 * Tests of the keychain itself skip with `NO_KEYCHAIN_REASON` instead.
 */
import { openSecretStore, type SecretStore } from '../electron/core/secret-store.ts';

export const KEYCHAIN_READY = process.env.KEYPORT_KEYCHAIN_READY === '1';

export const NO_KEYCHAIN_REASON =
  'no OS keychain in this run: start the tests through scripts/with-keychain.sh (npm test does), ' +
  'which needs dbus-run-session and gnome-keyring-daemon';

if (!KEYCHAIN_READY && process.env.CI) {
  throw new Error(`CI must test against the real keychain, but there is ${NO_KEYCHAIN_REASON}`);
}

export function testSecretStore(profileDir: string): Promise<SecretStore> {
  return openSecretStore({ profileDir, insecureSecretFile: !KEYCHAIN_READY });
}
