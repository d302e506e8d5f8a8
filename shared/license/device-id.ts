/**
 * Device IDs and hardware components (DESIGN §2): HMAC-SHA256 under the app's salt, so the
 * identifiers that go in never leave the machine and cannot be recovered from what does.
 *
 * The device ID is the HMAC of one anchor — the OS install ID, or an install ID the app
 * generated into the profile where the OS has none — so it reads the same for a user and
 * for root, and a new disk or a BIOS update does not change it. Each hardware component is
 * HMAC'd on its own, so the provider can compare them one by one (a changed machine) without
 * ever seeing a serial number.
 *
 * `simulatedDeviceId` derives a distinct, stable ID from a name for demos and tests
 * (`--simulate-device NAME`), and the provider's demo seed uses it to pre-register the demo
 * account's second device; `simulatedComponent` does the same for its components.
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

/**
 * One hardware component's HMAC. The component's name goes in too, so two components that
 * happen to read the same (a UUID reused as a serial) never count as one match twice.
 */
export function componentHmac(component: string, value: string): string {
  return deviceIdFrom(`component:${component}=${value.trim().toLowerCase()}`);
}

/** A simulated device's component: from its name as given (IDs tell case apart), so two names never share one. */
export function simulatedComponent(name: string, component: string): string {
  return deviceIdFrom(`component:${component}=simulated:${name}`);
}
