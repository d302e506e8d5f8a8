/**
 * What every route plugin is given: the database, the signer, the artifact store, the
 * settings and the clock. Built once by buildApp; plugins never reach for globals.
 */
import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from '../shared/packages/archive-safety.ts';
import type { RegistryDb } from './db/database.ts';
import type { ArtifactStore } from './lib/artifacts.ts';
import type { ComponentMatchRule } from './lib/component-match.ts';
import type { LicenseSigner } from './lib/license-signer.ts';
import type { RateLimiter, WindowLimit } from './lib/rate-limit.ts';

/**
 * What a device flagged "in use on two machines" gets: `refuse` answers the refreshes of
 * its original installation only (DEVICE_CLONED for the others), `flag` answers them all
 * and only shows the flag (services/clones.ts).
 */
export const CLONE_POLICIES = ['refuse', 'flag'] as const;
export type ClonePolicy = (typeof CLONE_POLICIES)[number];

export interface ProviderSettings {
  /** `iss` of every license key. */
  issuer: string;
  /** Devices one user may have enrolled at once. */
  deviceLimit: number;
  /** License lease length (`exp - iat`). */
  leaseSeconds: number;
  transactionTtlSeconds: number;
  sessionTtlSeconds: number;
  /** When two device IDs count as one machine (recognition, recovery): lib/component-match.ts. */
  componentMatch: ComponentMatchRule;
  clonePolicy: ClonePolicy;
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
  componentMatch: 'most',
  clonePolicy: 'refuse',
  maxReleaseBytes: 256 * 1024 * 1024,
  archiveLimits: DEFAULT_ARCHIVE_LIMITS,
  rateLimits: {
    enabled: true,
    loginFailuresPerEmail: { max: 5, windowSeconds: 15 * 60 },
    loginAttemptsPerAddress: { max: 100, windowSeconds: 15 * 60 },
    accountsPerAddress: { max: 30, windowSeconds: 60 * 60 },
  },
};
