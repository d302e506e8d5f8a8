/**
 * The mock registry's records (API objects plus the owner they belong to), the mappers
 * back to API objects, IDs, secrets and password digests, and the mock's settings.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import type {
  AuditEvent,
  CatalogItem,
  Device,
  Registration,
  Release,
  Transfer,
  User,
} from '../shared/api.ts';
import { DEFAULT_SETTINGS, type ProviderSettings } from '../server/context.ts';
import { sha256Hex } from './packages.ts';

/** The provider's settings, less what the mock does not do (rate limiting). */
export type MockSettings = Omit<ProviderSettings, 'rateLimits'>;

// The provider's own defaults, less what the mock does not do (rate limiting).
const { rateLimits: _notSimulated, ...providerDefaults } = DEFAULT_SETTINGS;
export const DEFAULT_MOCK_SETTINGS: MockSettings = providerDefaults;

export type Input<T extends z.ZodType> = z.output<T>;

export interface UserRecord extends User {
  /** `salt:sha256` — the mock needs no memory-hard KDF, only never to keep the password. */
  passwordHash: string | null;
}
export interface DeviceRecord extends Device {
  userId: string;
}
export interface SoftwareRecord extends Omit<CatalogItem, 'version' | 'sizeBytes'> {
  createdAt: string;
}
export interface ReleaseRecord extends Release {
  softwareId: string;
  bytes: Buffer;
}
export interface RegistrationRecord extends Registration {
  userId: string;
}
export interface TransactionRecord {
  userId: string;
  deviceId: string;
  softwareId: string;
  copyId: string;
  expiresAt: string;
  redeemedAt: string | null;
}
export interface LicenseRecord {
  jti: string;
  copyId: string;
  userId: string;
  softwareId: string;
  deviceId: string;
  revokedAt: string | null;
}
export interface TransferRecord extends Transfer {
  userId: string;
}
export interface IdempotentResult<T> {
  status: number;
  body: T;
  replayed: boolean;
}
export type NewEvent = Partial<Pick<AuditEvent, 'userId' | 'softwareId' | 'deviceId' | 'copyId' | 'data'>> & {
  type: string;
};

// IDs and secrets exactly as the provider makes them.
export { newId, newSecret } from '../server/lib/secrets.ts';
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

export function hashPassword(password: string): string {
  const salt = randomBytes(16).toString('hex');
  return `${salt}:${sha256Hex(`${salt}:${password}`)}`;
}

export function passwordMatches(password: string, stored: string | null): boolean {
  if (!stored) return false;
  const [salt = '', digest = ''] = stored.split(':');
  const given = Buffer.from(sha256Hex(`${salt}:${password}`), 'hex');
  const expected = Buffer.from(digest, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export const byKeys =
  <T>(...keys: Array<(item: T) => string>) =>
  (a: T, b: T): number => {
    for (const key of keys) {
      const [x, y] = [key(a), key(b)];
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };

export const toUser = ({ userId, email, displayName, createdAt }: UserRecord): User => ({
  userId,
  email,
  displayName,
  createdAt,
});
export const toDevice = ({ deviceId, name, platform, enrolledAt }: DeviceRecord): Device => ({
  deviceId,
  name,
  platform,
  enrolledAt,
});
export const toRegistration = ({
  copyId,
  softwareId,
  deviceId,
  registeredAt,
}: RegistrationRecord): Registration => ({
  copyId,
  softwareId,
  deviceId,
  registeredAt,
});
export const toTransfer = ({ userId: _userId, ...transfer }: TransferRecord): Transfer => transfer;
export const toRelease = ({ version, sha256, sizeBytes, entry, publishedAt }: ReleaseRecord): Release => ({
  version,
  sha256,
  sizeBytes,
  entry,
  publishedAt,
});
