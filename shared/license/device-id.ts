/**
 * Device IDs (DESIGN §2): HMAC-SHA256 under the app's salt, so the hardware serials
 * that go in never leave the machine and cannot be recovered from the ID.
 *
 * The core computes real IDs from hardware; `simulatedDeviceId` derives a
 * distinct, stable ID from a name for demos and tests (`--simulate-device NAME`), and
 * the provider's demo seed uses it to pre-register the demo account's second device.
 */
import { createHmac } from 'node:crypto';

/** Public by nature (it ships in every app); it only makes IDs Keyport-specific. */
export const DEVICE_ID_SALT = 'keyport/device-id/v1';

export function deviceIdFrom(canonicalIdentifiers: string): string {
  return createHmac('sha256', DEVICE_ID_SALT).update(canonicalIdentifiers).digest('hex');
}

export function simulatedDeviceId(name: string): string {
  return deviceIdFrom(`simulated:${name}`);
}
