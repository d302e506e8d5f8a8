/**
 * What each `AppApi` method accepts, as zod schemas. Both shells validate every call
 * with these before it reaches the core: the renderer is a web page, and a web page's
 * input is checked at the boundary like any other client's.
 */
import { z } from 'zod';
import { DeviceId, DeviceName, DisplayName, Email, Password, SoftwareId } from '../provider-api/schemas.ts';
import type { AppMethod } from './app-api.ts';

const None = z.undefined().or(z.strictObject({}));
const Software = z.strictObject({ softwareId: SoftwareId });

export const APP_INPUTS = {
  getStatus: None,
  createAccount: z.strictObject({ email: Email, password: Password, displayName: DisplayName }),
  signIn: z.strictObject({ email: Email, password: z.string().min(1).max(200) }),
  signOut: None,
  enrolDevice: z.strictObject({ name: DeviceName.optional() }),
  listDevices: None,
  renameDevice: z.strictObject({ deviceId: DeviceId, name: DeviceName }),
  retireDevice: z.strictObject({ deviceId: DeviceId }),
  recoverDevice: z.strictObject({ fromDeviceId: DeviceId }),
  browseCatalog: z.strictObject({
    q: z.string().max(100).optional(),
    cursor: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(100).optional(),
  }),
  getSoftware: Software,
  buy: Software,
  getLibrary: None,
  install: Software,
  cancelInstall: Software,
  uninstall: Software,
  run: Software,
  readRunLog: Software,
  transfer: z.strictObject({
    softwareId: SoftwareId,
    sourceDeviceId: DeviceId,
    destinationDeviceId: DeviceId,
  }),
  listTransfers: None,
  sync: None,
} satisfies Record<AppMethod, z.ZodType>;
