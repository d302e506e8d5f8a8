/**
 * The registry database as Kysely sees it. Times are ISO 8601 UTC strings in every
 * dialect (they sort correctly as text), booleans are absent, and money is integer
 * cents: the same rows read the same on SQLite and PostgreSQL.
 */
import type { Generated, Insertable, Selectable } from 'kysely';

export interface UsersTable {
  user_id: string;
  email: string;
  display_name: string;
  /** null for a provisioned account that has not been given a password yet. */
  password_hash: string | null;
  created_at: string;
}

export interface SessionsTable {
  token_hash: string;
  user_id: string;
  created_at: string;
  expires_at: string;
}

export interface DevicesTable {
  device_id: string;
  user_id: string;
  name: string;
  platform: string;
  enrolled_at: string;
  /** Where the app took the device ID from (os, generated, simulated); null if it did not say. */
  id_source: string | null;
  /** The installation that last enrolled or refreshed (null: none said which). */
  installation_id: string | null;
  /** When two installations were found alternating on this device ID: a clone. */
  flagged_at: string | null;
  /** When flagged: the earlier-seen of the two, whose refreshes `clonePolicy: refuse` keeps answering. */
  original_installation_id: string | null;
}

/** One hardware component a device reported, as the HMAC the app computed (DESIGN §2). */
export interface DeviceComponentsTable {
  device_id: string;
  /** One of COMPONENT_NAMES. */
  name: string;
  hmac: string;
}

/** An app installation seen enrolling or refreshing on a device. */
export interface DeviceInstallationsTable {
  device_id: string;
  installation_id: string;
  first_seen_at: string;
  last_seen_at: string;
}

/** One component an installation last reported (to tell a clone from a second keychain). */
export interface InstallationComponentsTable {
  device_id: string;
  installation_id: string;
  /** One of COMPONENT_NAMES. */
  name: string;
  hmac: string;
}

/** Every copy of one device moved to another at once, after which the first was retired. */
export interface RecoveriesTable {
  recovery_id: string;
  user_id: string;
  from_device_id: string;
  /** The recovered device's enrolment: one recovery per enrolment (unique with user and device). */
  from_enrolled_at: string;
  to_device_id: string;
  /** JSON: [{copyId, softwareId}], what was moved. */
  copies: string;
  created_at: string;
}

export interface SoftwareTable {
  software_id: string;
  name: string;
  summary: string;
  price_cents: number;
  currency: string;
  created_at: string;
}

export interface ReleasesTable {
  software_id: string;
  version: string;
  sha256: string;
  size_bytes: number;
  entry: string;
  published_at: string;
  /** What the package expands to and how many entries it holds; null before migration 0003. */
  expanded_bytes: number | null;
  entry_count: number | null;
}

export interface PurchasesTable {
  purchase_id: string;
  user_id: string;
  software_id: string;
  device_id: string;
  copy_id: string;
  price_cents: number;
  currency: string;
  created_at: string;
}

/** The "registered information": which device each purchased copy lives on. */
export interface RegistrationsTable {
  copy_id: string;
  user_id: string;
  software_id: string;
  device_id: string;
  registered_at: string;
}

export interface LicenseTransactionsTable {
  transaction_hash: string;
  user_id: string;
  device_id: string;
  software_id: string;
  copy_id: string;
  created_at: string;
  expires_at: string;
  redeemed_at: string | null;
}

export interface LicensesTable {
  jti: string;
  copy_id: string;
  user_id: string;
  software_id: string;
  device_id: string;
  issued_at: string;
  expires_at: string;
  revoked_at: string | null;
}

export interface TransfersTable {
  transfer_id: string;
  copy_id: string;
  user_id: string;
  software_id: string;
  source_device_id: string;
  destination_device_id: string;
  created_at: string;
}

export interface IdempotencyKeysTable {
  user_id: string;
  scope: string;
  idempotency_key: string;
  request_hash: string;
  status_code: number;
  response_body: string;
  created_at: string;
}

export interface AuditEventsTable {
  event_id: Generated<number>;
  type: string;
  user_id: string | null;
  software_id: string | null;
  device_id: string | null;
  copy_id: string | null;
  data: string;
  created_at: string;
}

export interface RateLimitsTable {
  bucket: string;
  window_start: string;
  hits: number;
}

/** A license-signing key shared by every instance on this database (PostgreSQL). */
export interface SigningKeysTable {
  kid: string;
  /** 1 for the first key, +1 per rotation; the highest active one signs. */
  generation: number;
  /** The Ed25519 private key as a JWK, JSON text. */
  private_jwk: string;
  created_at: string;
  /** Published in the JWKS at once, signs from this time on (see LicenseSigner). */
  activates_at: string;
}

/** Small named secrets shared by every instance, e.g. the admin token's SHA-256. */
export interface ProviderSecretsTable {
  name: string;
  value: string;
  created_at: string;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  devices: DevicesTable;
  device_components: DeviceComponentsTable;
  device_installations: DeviceInstallationsTable;
  installation_components: InstallationComponentsTable;
  recoveries: RecoveriesTable;
  software: SoftwareTable;
  releases: ReleasesTable;
  purchases: PurchasesTable;
  registrations: RegistrationsTable;
  license_transactions: LicenseTransactionsTable;
  licenses: LicensesTable;
  transfers: TransfersTable;
  idempotency_keys: IdempotencyKeysTable;
  audit_events: AuditEventsTable;
  rate_limits: RateLimitsTable;
  signing_keys: SigningKeysTable;
  provider_secrets: ProviderSecretsTable;
}

export type UserRow = Selectable<UsersTable>;
export type DeviceRow = Selectable<DevicesTable>;
export type RecoveryRow = Selectable<RecoveriesTable>;
export type SoftwareRow = Selectable<SoftwareTable>;
export type ReleaseRow = Selectable<ReleasesTable>;
export type RegistrationRow = Selectable<RegistrationsTable>;
export type NewAuditEvent = Omit<Insertable<AuditEventsTable>, 'event_id' | 'created_at' | 'data'> & {
  data?: Record<string, unknown>;
};
