/**
 * The HTTP API v1 contract (DESIGN §3) as zod schemas. The provider validates and
 * serialises with these, the OpenAPI document at /docs is generated from them, and the
 * app's provider client parses responses with them: one definition, three uses.
 *
 * Request bodies are strict (unknown fields are a VALIDATION error) and every string
 * has a maximum length, so nothing a client sends can make the provider store junk.
 */
import { z } from 'zod';
import { ERROR_CODES } from './error-codes.ts';

// ── identifiers ──────────────────────────────────────────────────────────────
export const DeviceId = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'a device ID is 64 lowercase hex characters (an HMAC-SHA256)')
  .describe('HMAC-SHA256 of the device hardware identifiers, 64 lowercase hex characters');
export const SoftwareId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'a software ID is a slug: lowercase letters, digits and dashes')
  .describe('slug, [a-z0-9][a-z0-9-]{1,62}');
export const OpaqueId = z.string().min(1).max(100);
export const Timestamp = z.string().describe('ISO 8601 UTC');
export const Email = z.email().max(254);
export const Password = z.string().min(8, 'a password has at least 8 characters').max(200);
export const DisplayName = z.string().trim().min(1).max(100);
export const DeviceName = z.string().trim().min(1).max(100);
export const Platform = z.string().trim().min(1).max(40).describe('linux, win32, darwin, …');
export const Currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code such as USD');
export const PriceCents = z.number().int().min(0).max(100_000_000);
export const Version = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[0-9A-Za-z.+-]+$/, 'a version such as 1.2.0');

/** A whole number in a query string: digits only (no `0x10`, `1e1` or blanks). */
const QueryInteger = (min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,15}$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

// ── problems ─────────────────────────────────────────────────────────────────
export const ErrorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES]);
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    code: ErrorCodeSchema,
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .describe('RFC 9457 problem details');
export type Problem = z.infer<typeof Problem>;

// ── accounts and sessions ────────────────────────────────────────────────────
export const User = z.object({
  userId: OpaqueId,
  email: Email,
  displayName: z.string(),
  createdAt: Timestamp,
});
export type User = z.infer<typeof User>;

export const CreateAccountBody = z.strictObject({
  email: Email,
  password: Password,
  displayName: DisplayName,
});
export type CreateAccountBody = z.infer<typeof CreateAccountBody>;
export const LoginBody = z.strictObject({ email: Email, password: z.string().min(1).max(200) });
export type LoginBody = z.infer<typeof LoginBody>;
export const SessionResult = z.object({ user: User, token: z.string() });
export const MeResult = z.object({ user: User });

// ── devices ──────────────────────────────────────────────────────────────────
/**
 * Hardware components a device reports (DESIGN §2), each an HMAC-SHA256 of one value
 * under the app's salt: the provider compares them one by one to recognise a changed
 * machine, and never sees a serial number. A platform reports what it offers.
 */
export const COMPONENT_NAMES = [
  'system.uuid',
  'baseboard.serial',
  'disk.serial',
  'net.mac',
  'cpu.model',
] as const;
export const ComponentName = z.enum(COMPONENT_NAMES);
export type ComponentName = z.infer<typeof ComponentName>;
const Hmac = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex characters (an HMAC-SHA256)');
export const DeviceComponents = z
  .partialRecord(ComponentName, Hmac)
  .describe('component name → HMAC-SHA256 of its value; raw values never leave the device');
export type DeviceComponents = z.infer<typeof DeviceComponents>;
/** SHA-256 of an installation's random secret (kept in its keychain): tells clones apart. */
export const InstallationId = Hmac.describe('SHA-256 of the installation’s random secret');
/** Where the device ID came from: the OS install ID, one the app generated, or a demo name. */
export const DeviceIdSource = z.enum(['os', 'generated', 'simulated']);
export type DeviceIdSource = z.infer<typeof DeviceIdSource>;
/** `in-use-on-two-machines`: two installations alternate on this one device ID (a clone). */
export const DeviceFlag = z.enum(['in-use-on-two-machines']);
export type DeviceFlag = z.infer<typeof DeviceFlag>;

export const Device = z.object({
  deviceId: DeviceId,
  name: z.string(),
  platform: z.string(),
  enrolledAt: Timestamp,
  flags: z.array(DeviceFlag),
});
export type Device = z.infer<typeof Device>;
export const EnrolDeviceBody = z.strictObject({
  deviceId: DeviceId,
  name: DeviceName,
  platform: Platform,
  components: DeviceComponents.optional(),
  installationId: InstallationId.optional(),
  idSource: DeviceIdSource.optional(),
});
export type EnrolDeviceBody = z.infer<typeof EnrolDeviceBody>;
export const RenameDeviceBody = z.strictObject({ name: DeviceName });
export const DeviceParams = z.strictObject({ deviceId: DeviceId });
/**
 * An older device of the same account whose components mostly match the one that just
 * enrolled (the provider's match rule): most likely the same machine after a hardware
 * change or a reinstall, whose copies a recovery can move here.
 */
export const Recognition = z.object({
  deviceId: DeviceId,
  name: z.string(),
  matchedComponents: z.number().int(),
  comparedComponents: z.number().int(),
  /** Software IDs registered to it: what a recovery would move. */
  software: z.array(SoftwareId),
});
export type Recognition = z.infer<typeof Recognition>;
export const DeviceResult = z.object({ device: Device });
export const EnrolResult = DeviceResult.extend({ recognisedAs: Recognition.nullable() });
export type EnrolResult = z.infer<typeof EnrolResult>;
export const DeviceList = z.object({ devices: z.array(Device) });
/** POST /v1/devices/recognitions: which of my devices would this (not yet enrolled) one be? */
export const RecogniseBody = z.strictObject({ deviceId: DeviceId, components: DeviceComponents });
export type RecogniseBody = z.infer<typeof RecogniseBody>;
export const RecognitionResult = z.object({ recognisedAs: Recognition.nullable() });
export type RecognitionResult = z.infer<typeof RecognitionResult>;
/**
 * POST /v1/devices/:deviceId/recover: move every copy of `fromDeviceId` here, then retire it.
 * `enrol`: what the device would enrol with, for a device not enrolled yet (enrolled by
 * the recovery itself, even at the device limit); ignored for a device already enrolled.
 */
export const RecoverEnrolment = EnrolDeviceBody.omit({ deviceId: true }).extend({
  // Required here: the match that lets this enrolment past the device limit is made on them.
  components: DeviceComponents,
});
export type RecoverEnrolment = z.infer<typeof RecoverEnrolment>;
export const RecoverBody = z.strictObject({ fromDeviceId: DeviceId, enrol: RecoverEnrolment.optional() });
export type RecoverBody = z.infer<typeof RecoverBody>;
export const Recovery = z.object({
  recoveryId: OpaqueId,
  fromDeviceId: DeviceId,
  toDeviceId: DeviceId,
  copies: z.array(z.object({ copyId: OpaqueId, softwareId: SoftwareId })),
  createdAt: Timestamp,
});
export type Recovery = z.infer<typeof Recovery>;
export const RecoveryResult = z.object({ recovery: Recovery });

// ── catalog ──────────────────────────────────────────────────────────────────
export const CatalogItem = z.object({
  softwareId: SoftwareId,
  name: z.string(),
  summary: z.string(),
  priceCents: PriceCents,
  currency: Currency,
  version: z.string(),
  sizeBytes: z.number().int(),
});
export type CatalogItem = z.infer<typeof CatalogItem>;
export const CatalogQuery = z.strictObject({
  q: z.string().max(100).optional(),
  cursor: z.string().max(200).optional(),
  limit: QueryInteger(1, 100).default(20),
});
export const CatalogPage = z.object({ items: z.array(CatalogItem), nextCursor: z.string().nullable() });
export type CatalogPage = z.infer<typeof CatalogPage>;
export const Release = z.object({
  version: z.string(),
  sha256: z.string(),
  sizeBytes: z.number().int(),
  /** What the package expands to, measured at publish; the app holds the install to it. */
  expandedBytes: z.number().int().nullish(),
  /** Files, folders and links in the package, counted at publish. */
  entryCount: z.number().int().nullish(),
  entry: z.string(),
  publishedAt: Timestamp,
});
export type Release = z.infer<typeof Release>;
export const SoftwareDetail = CatalogItem.extend({ releases: z.array(Release) });
export type SoftwareDetail = z.infer<typeof SoftwareDetail>;
export const SoftwareParams = z.strictObject({ softwareId: SoftwareId });
export const SoftwareResult = z.object({ software: SoftwareDetail });

// ── purchases and registrations ──────────────────────────────────────────────
export const PurchaseBody = z.strictObject({ softwareId: SoftwareId, deviceId: DeviceId });
export type PurchaseBody = z.infer<typeof PurchaseBody>;
export const Purchase = z.object({
  purchaseId: OpaqueId,
  softwareId: SoftwareId,
  deviceId: DeviceId,
  copyId: OpaqueId,
  priceCents: PriceCents,
  currency: Currency,
  createdAt: Timestamp,
});
export type Purchase = z.infer<typeof Purchase>;
export const PurchaseResult = z.object({ purchase: Purchase });
export const Registration = z.object({
  copyId: OpaqueId,
  softwareId: SoftwareId,
  deviceId: DeviceId,
  registeredAt: Timestamp,
});
export type Registration = z.infer<typeof Registration>;
export const RegistrationList = z.object({ registrations: z.array(Registration) });

// ── downloads ────────────────────────────────────────────────────────────────
export const DownloadQuery = z.strictObject({ deviceId: DeviceId });

// ── licenses ─────────────────────────────────────────────────────────────────
export const LicenseRequestBody = z.strictObject({ softwareId: SoftwareId, deviceId: DeviceId });
export type LicenseRequestBody = z.infer<typeof LicenseRequestBody>;
export const LicenseRequestResult = z.object({ transactionId: z.string(), expiresAt: Timestamp });
export const RedeemBody = z.strictObject({ transactionId: z.string().min(1).max(200), deviceId: DeviceId });
export type RedeemBody = z.infer<typeof RedeemBody>;
export const LicenseClaims = z.object({
  iss: z.string(),
  sub: z.string().describe('copy ID'),
  sw: SoftwareId,
  usr: z.string(),
  dev: DeviceId,
  iat: z.number().int(),
  exp: z.number().int(),
  jti: z.string(),
});
export type LicenseClaims = z.infer<typeof LicenseClaims>;
export const LicenseResult = z.object({ licenseKey: z.string(), claims: LicenseClaims });
/** A refresh says which installation asks (clones) and what the hardware reads now. */
export const RefreshBody = LicenseRequestBody.extend({
  components: DeviceComponents.optional(),
  installationId: InstallationId.optional(),
});
export type RefreshBody = z.infer<typeof RefreshBody>;
/**
 * GET /v1/licenses/jwks: the license-signing public keys and, beside them (JWKS allows
 * extra members), the provider's issuer. A verifier refuses a key whose `iss` differs,
 * so a key signed with the same keys under another issuer does not run.
 */
export const ProviderJwks = z.object({
  issuer: z
    .string()
    .min(1)
    .describe('The `iss` of every license key this provider signs; a key with another `iss` is refused'),
  keys: z.array(
    z.object({
      kty: z.string(),
      crv: z.string(),
      x: z.string(),
      kid: z.string(),
      alg: z.string(),
      use: z.string(),
    }),
  ),
});
export type ProviderJwks = z.infer<typeof ProviderJwks>;
/**
 * The provider's JWKS as the app caches it: a cache written before the issuer was
 * published has none and must still load, so that the app can tell it is stale.
 */
export const Jwks = ProviderJwks.extend({ issuer: ProviderJwks.shape.issuer.optional() });

// ── transfers ────────────────────────────────────────────────────────────────
export const TransferBody = z.strictObject({
  softwareId: SoftwareId,
  sourceDeviceId: DeviceId,
  destinationDeviceId: DeviceId,
});
export type TransferBody = z.infer<typeof TransferBody>;
export const Transfer = z.object({
  transferId: OpaqueId,
  copyId: OpaqueId,
  softwareId: SoftwareId,
  sourceDeviceId: DeviceId,
  destinationDeviceId: DeviceId,
  createdAt: Timestamp,
});
export type Transfer = z.infer<typeof Transfer>;
export const TransferResult = z.object({ transfer: Transfer });
export const TransferList = z.object({ transfers: z.array(Transfer) });

/** `Idempotency-Key` on purchases and transfers: a retry returns the first result. */
export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(8)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII')
    .optional(),
});

// ── admin ────────────────────────────────────────────────────────────────────
export const ProvisionBody = z.strictObject({
  email: Email,
  displayName: DisplayName,
  password: Password.optional(),
  devices: z.array(EnrolDeviceBody).max(100),
});
export const ProvisionResult = z.object({ user: User, devices: z.array(Device) });
export const CreateSoftwareBody = z.strictObject({
  softwareId: SoftwareId,
  name: z.string().trim().min(1).max(100),
  summary: z.string().trim().max(2000),
  priceCents: PriceCents,
  currency: Currency,
});
export const Software = CreateSoftwareBody.extend({ createdAt: Timestamp });
export const SoftwareCreated = z.object({ software: Software });
export const ReleaseCreated = z.object({ release: Release });
export const AuditEvent = z.object({
  eventId: z.number().int(),
  type: z.string(),
  userId: z.string().nullable(),
  softwareId: z.string().nullable(),
  deviceId: z.string().nullable(),
  copyId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  createdAt: Timestamp,
});
export type AuditEvent = z.infer<typeof AuditEvent>;
export const EventsQuery = z.strictObject({
  after: QueryInteger(0, Number.MAX_SAFE_INTEGER).default(0),
  limit: QueryInteger(1, 500).default(100),
});
export const EventList = z.object({ events: z.array(AuditEvent), nextAfter: z.number().int() });

// ── health ───────────────────────────────────────────────────────────────────
export const Health = z.object({ status: z.string(), database: z.string().optional() });

/** Content types a release upload may be sent as (POST /v1/admin/software/:id/releases). */
export const PACKAGE_TYPES = ['application/gzip', 'application/x-gzip', 'application/octet-stream'];

/** The manifest every release archive carries at its root as `keyport.json`. */
export const PackageManifest = z.object({
  version: Version,
  entry: z.string().min(1).max(300),
  name: z.string().max(100).optional(),
});
export type PackageManifest = z.infer<typeof PackageManifest>;
