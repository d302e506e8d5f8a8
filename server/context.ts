/**
 * What every route plugin is given: the database, the signer, the artifact store, the
 * settings and the clock. Built once by buildApp; plugins never reach for globals.
 */
import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from '../shared/packages/archive-safety.ts';
import type { RegistryDb } from './db/database.ts';
import type { ArtifactStore } from './lib/artifacts.ts';
import type { LicenseSigner } from './lib/license-signer.ts';
import type { RateLimiter, WindowLimit } from './lib/rate-limit.ts';

export interface ProviderSettings {
  /** `iss` of every license key. */
  issuer: string;
  /** Devices one user may have enrolled at once. */
  deviceLimit: number;
  /** License lease length (`exp - iat`). */
  leaseSeconds: number;
  transactionTtlSeconds: number;
  sessionTtlSeconds: number;
  /** Largest release upload (compressed). */
  maxReleaseBytes: number;
  /** How large a release may expand (total, per entry, entry count). */
  archiveLimits: ArchiveLimits;
  rateLimits: {
    enabled: boolean;
    /** Failed sign-ins per email address. */
    loginFailuresPerEmail: WindowLimit;
    /** Sign-in attempts per client address. */
    loginAttemptsPerAddress: WindowLimit;
    /** New accounts per client address. */
    accountsPerAddress: WindowLimit;
  };
}

export interface ProviderContext {
  registry: RegistryDb;
  signer: LicenseSigner;
  artifacts: ArtifactStore;
  settings: ProviderSettings;
  rateLimiter: RateLimiter;
  /** SHA-256 (hex) of the admin token: instances sharing a database may only know the digest. */
  adminTokenHash: string;
  now: () => Date;
}

export const DEFAULT_SETTINGS: ProviderSettings = {
  issuer: 'keyport',
  deviceLimit: 5,
  leaseSeconds: 30 * 24 * 3600,
  transactionTtlSeconds: 10 * 60,
  sessionTtlSeconds: 30 * 24 * 3600,
  maxReleaseBytes: 256 * 1024 * 1024,
  archiveLimits: DEFAULT_ARCHIVE_LIMITS,
  rateLimits: {
    enabled: true,
    loginFailuresPerEmail: { max: 5, windowSeconds: 15 * 60 },
    loginAttemptsPerAddress: { max: 100, windowSeconds: 15 * 60 },
    accountsPerAddress: { max: 30, windowSeconds: 60 * 60 },
  },
};
