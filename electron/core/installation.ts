/**
 * This installation's ID (DESIGN §2, clones): a random secret kept in the profile's secret
 * store, created once, and sent as its SHA-256 with enrolment and every lease refresh. Two
 * machines on one device ID (an OS image deployed twice, a copied system) each make their
 * own secret where Keyport first runs, so the provider sees two installations alternate and
 * flags the device. A disk cloned after Keyport ran carries its keychain, and with it the
 * secret: that clone looks like one installation. The secret itself never leaves the machine.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SecretStore } from './secret-store.ts';

const INSTALLATION_SECRET = 'installation-secret';

export async function readInstallationId(secrets: SecretStore): Promise<string> {
  let secret = await secrets.get(INSTALLATION_SECRET);
  if (secret === null) {
    // One process writes a profile at a time (profile-lock.ts), so nobody races to create it.
    secret = randomBytes(32).toString('hex');
    await secrets.set(INSTALLATION_SECRET, secret);
  }
  return createHash('sha256').update(secret).digest('hex');
}
