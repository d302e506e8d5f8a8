/**
 * What every demo program does first: read KEYPORT_LICENSE, verify it with the
 * verifier from shared/ against the provider's public keys and issuer shipped in the
 * package (jwks.json), and refuse to start on a bad license. Bundled into each package.
 */
import { readFileSync } from 'node:fs';
import {
  LicenseInvalidError,
  shortDeviceId,
  verifyProviderLicense,
  type LicenseClaims,
  type ProviderKeys,
} from '../../../shared/license/license.ts';

export async function requireLicense(softwareId: string, title: string): Promise<LicenseClaims> {
  const key = process.env.KEYPORT_LICENSE;
  if (!key) {
    console.error(
      `${title} needs a Keyport license. Start it from the Keyport app (or \`keyport run ${softwareId}\`).`,
    );
    process.exit(3);
  }
  const provider = JSON.parse(readFileSync(new URL('./jwks.json', import.meta.url), 'utf8')) as ProviderKeys;
  try {
    // Refuses a key with another `iss`, and every key if jwks.json names no issuer.
    const claims = await verifyProviderLicense(key, provider, {
      softwareId,
      deviceId: process.env.KEYPORT_DEVICE_ID || undefined,
    });
    const until = new Date(claims.exp * 1000).toISOString().slice(0, 10);
    console.log(
      `${title} — licensed to ${claims.usr} on device ${shortDeviceId(claims.dev)} (lease until ${until})`,
    );
    return claims;
  } catch (error) {
    const reason = error instanceof LicenseInvalidError ? `${error.reason}: ${error.message}` : String(error);
    console.error(`${title} refuses to start: the license is not valid (${reason}).`);
    process.exit(3);
  }
}
