/**
 * The mock's registry: users, sessions, devices, software and releases, copies,
 * purchases, transactions, licenses, transfers and the audit log, all in memory.
 *
 * Each operation follows the matching provider route (server/routes/*.ts) check for
 * check and in the same order, so the mock refuses what the provider refuses with the
 * same code. Operations run synchronously up to their one await (signing), so each is
 * atomic the way the provider's database transactions are.
 */
import type {
  AuditEvent,
  CatalogItem,
  CatalogPage,
  CreateAccountBody,
  CreateSoftwareBody,
  Device,
  EnrolDeviceBody,
  LicenseRequestBody,
  ProvisionBody,
  Purchase,
  PurchaseBody,
  RedeemBody,
  Registration,
  Release,
  SoftwareDetail,
  Transfer,
  TransferBody,
  User,
} from '../shared/api.ts';
import type { LicenseClaims } from '../shared/license.ts';
import type { MockLicenseKeys } from './license-keys.ts';
import { inspectPackage, sha256Hex } from './packages.ts';
import { decodeCursor, encodeCursor } from '../shared/catalog-cursor.ts';
import { mockProblem } from './problem.ts';
import {
  byKeys,
  hashPassword,
  newId,
  newSecret,
  normaliseEmail,
  passwordMatches,
  toDevice,
  toRegistration,
  toRelease,
  toTransfer,
  toUser,
  type DeviceRecord,
  type IdempotentResult,
  type Input,
  type LicenseRecord,
  type MockSettings,
  type NewEvent,
  type RegistrationRecord,
  type ReleaseRecord,
  type SoftwareRecord,
  type TransactionRecord,
  type TransferRecord,
  type UserRecord,
} from './records.ts';

export { DEFAULT_MOCK_SETTINGS, type MockSettings, type ReleaseRecord } from './records.ts';

const notRegistered = (softwareId: string) =>
  mockProblem(
    'NOT_REGISTERED',
    `${softwareId} is not registered to that device; buy it or move it there first`,
  );

export class MockRegistry {
  private readonly users = new Map<string, UserRecord>();
  private readonly sessions = new Map<string, { userId: string; expiresAt: string }>();
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly software = new Map<string, SoftwareRecord>();
  private readonly releases: ReleaseRecord[] = [];
  private readonly purchases: Array<Purchase & { userId: string }> = [];
  private readonly copies = new Map<string, RegistrationRecord>();
  private readonly transactions = new Map<string, TransactionRecord>();
  private readonly licenses: LicenseRecord[] = [];
  private readonly transferLog: TransferRecord[] = [];
  private readonly idempotency = new Map<string, { requestHash: string; status: number; body: unknown }>();
  private readonly auditLog: AuditEvent[] = [];

  constructor(
    readonly settings: MockSettings,
    private readonly keys: MockLicenseKeys,
    private readonly now: () => Date,
  ) {}

  private nowIso(): string {
    return this.now().toISOString();
  }

  private record(event: NewEvent): void {
    this.auditLog.push({
      eventId: this.auditLog.length + 1,
      type: event.type,
      userId: event.userId ?? null,
      softwareId: event.softwareId ?? null,
      deviceId: event.deviceId ?? null,
      copyId: event.copyId ?? null,
      data: event.data ?? {},
      createdAt: this.nowIso(),
    });
  }

  // ── accounts and sessions ──────────────────────────────────────────────────

  private userByEmail(email: string): UserRecord | undefined {
    return [...this.users.values()].find((user) => user.email === email);
  }

  private startSession(userId: string): string {
    const token = newSecret('kps');
    const expiresAt = new Date(this.now().getTime() + this.settings.sessionTtlSeconds * 1000).toISOString();
    this.sessions.set(sha256Hex(token), { userId, expiresAt });
    return token;
  }

  createAccount(input: Input<typeof CreateAccountBody>): { user: User; token: string } {
    const email = normaliseEmail(input.email);
    if (this.userByEmail(email)) {
      throw mockProblem('EMAIL_TAKEN', 'an account with that email exists; sign in instead');
    }
    const user: UserRecord = {
      userId: newId('usr'),
      email,
      displayName: input.displayName,
      createdAt: this.nowIso(),
      passwordHash: hashPassword(input.password),
    };
    this.users.set(user.userId, user);
    return { user: toUser(user), token: this.startSession(user.userId) };
  }

  signIn(emailInput: string, password: string): { user: User; token: string } {
    const user = this.userByEmail(normaliseEmail(emailInput));
    if (!user || !passwordMatches(password, user.passwordHash)) {
      throw mockProblem('BAD_CREDENTIALS', 'check the email and password and try again');
    }
    return { user: toUser(user), token: this.startSession(user.userId) };
  }

  /** The session's user, or undefined when the token is unknown or its session has ended. */
  sessionUser(token: string): { user: User; sessionHash: string } | undefined {
    const sessionHash = sha256Hex(token);
    const session = this.sessions.get(sessionHash);
    const user = session && this.users.get(session.userId);
    if (!session || !user || session.expiresAt <= this.nowIso()) return undefined;
    return { user: toUser(user), sessionHash };
  }

  signOut(sessionHash: string): void {
    this.sessions.delete(sessionHash);
  }

  // ── devices ────────────────────────────────────────────────────────────────

  private ownDevice(userId: string, deviceId: string): DeviceRecord | undefined {
    const device = this.devices.get(deviceId);
    return device?.userId === userId ? device : undefined;
  }

  private devicesOf(userId: string): DeviceRecord[] {
    return [...this.devices.values()]
      .filter((device) => device.userId === userId)
      .sort(
        byKeys<DeviceRecord>(
          (d) => d.enrolledAt,
          (d) => d.deviceId,
        ),
      );
  }

  enrolDevice(userId: string, input: Input<typeof EnrolDeviceBody>): { status: 200 | 201; device: Device } {
    const existing = this.devices.get(input.deviceId);
    if (existing) {
      if (existing.userId !== userId) {
        throw mockProblem(
          'DEVICE_TAKEN',
          'this device is enrolled to another account; that account must remove it first',
        );
      }
      return { status: 200, device: toDevice(existing) };
    }
    const limit = this.settings.deviceLimit;
    if (this.devicesOf(userId).length >= limit) {
      throw mockProblem(
        'DEVICE_LIMIT',
        `your account already has ${limit} devices, the most allowed; remove one you no longer use, then enrol this one`,
      );
    }
    const device: DeviceRecord = { ...input, userId, enrolledAt: this.nowIso() };
    this.devices.set(device.deviceId, device);
    this.record({
      type: 'device.enrolled',
      userId,
      deviceId: device.deviceId,
      data: { name: device.name, platform: device.platform },
    });
    return { status: 201, device: toDevice(device) };
  }

  listDevices(userId: string): Device[] {
    return this.devicesOf(userId).map(toDevice);
  }

  renameDevice(userId: string, deviceId: string, name: string): Device {
    const device = this.ownDevice(userId, deviceId);
    if (!device) throw mockProblem('NOT_FOUND', 'you have no device with that ID');
    device.name = name;
    return toDevice(device);
  }

  retireDevice(userId: string, deviceId: string): void {
    if (!this.ownDevice(userId, deviceId)) throw mockProblem('NOT_FOUND', 'you have no device with that ID');
    const registered = [...this.copies.values()].filter((copy) => copy.deviceId === deviceId);
    if (registered.length > 0) {
      throw mockProblem(
        'DEVICE_HAS_SOFTWARE',
        `move ${registered.map((r) => r.softwareId).join(', ')} to another device first, then remove this one`,
      );
    }
    this.devices.delete(deviceId);
    this.record({ type: 'device.retired', userId, deviceId });
  }

  // ── catalog ────────────────────────────────────────────────────────────────

  /** The newest release: latest `publishedAt`, ties to the greater version (as the provider). */
  newestRelease(softwareId: string): ReleaseRecord | undefined {
    return this.releasesOf(softwareId)[0];
  }

  private releasesOf(softwareId: string): ReleaseRecord[] {
    return this.releases
      .filter((release) => release.softwareId === softwareId)
      .sort(
        byKeys<ReleaseRecord>(
          (r) => r.publishedAt,
          (r) => r.version,
        ),
      )
      .reverse();
  }

  /** Software is only listed (and for sale) once it has a release. */
  private listed(softwareId: string): CatalogItem | undefined {
    const software = this.software.get(softwareId);
    const release = this.newestRelease(softwareId);
    if (!software || !release) return undefined;
    const { createdAt: _createdAt, ...item } = software;
    return { ...item, version: release.version, sizeBytes: release.sizeBytes };
  }

  catalogPage(query: { q?: string; cursor?: string; limit: number }): CatalogPage {
    let items = [...this.software.keys()]
      .map((softwareId) => this.listed(softwareId))
      .filter((item): item is CatalogItem => item !== undefined)
      .sort(
        byKeys<CatalogItem>(
          (i) => i.name,
          (i) => i.softwareId,
        ),
      );
    const search = query.q?.trim().toLowerCase();
    if (search) {
      items = items.filter(
        (item) =>
          item.name.toLowerCase().includes(search) ||
          item.summary.toLowerCase().includes(search) ||
          item.softwareId.includes(search),
      );
    }
    if (query.cursor) {
      const [name, softwareId] = decodeCursor(query.cursor);
      items = items.filter(
        (item) => item.name > name || (item.name === name && item.softwareId > softwareId),
      );
    }
    const page = items.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page,
      nextCursor: items.length > query.limit && last ? encodeCursor([last.name, last.softwareId]) : null,
    };
  }

  softwareDetail(softwareId: string): SoftwareDetail {
    const item = this.listed(softwareId);
    if (!item) throw mockProblem('NOT_FOUND', `there is no program "${softwareId}" in the catalog`);
    return { ...item, releases: this.releasesOf(softwareId).map(toRelease) };
  }

  // ── purchases and registrations ────────────────────────────────────────────

  /** A retry with the same key gets the first answer; the key for another request is refused. */
  private idempotent<T>(
    scope: { userId: string; name: string; key: string | undefined; request: unknown },
    work: () => { status: number; body: T },
  ): IdempotentResult<T> {
    const requestHash = sha256Hex(JSON.stringify(scope.request));
    const slot = JSON.stringify([scope.userId, scope.name, scope.key]);
    if (scope.key !== undefined) {
      const stored = this.idempotency.get(slot);
      if (stored) {
        if (stored.requestHash !== requestHash) {
          throw mockProblem(
            'IDEMPOTENCY_KEY_REUSED',
            'this Idempotency-Key was used for a different request; use a new key',
          );
        }
        return { status: stored.status, body: structuredClone(stored.body) as T, replayed: true };
      }
    }
    const result = work();
    if (scope.key !== undefined) {
      this.idempotency.set(slot, { requestHash, status: result.status, body: structuredClone(result.body) });
    }
    return { ...result, replayed: false };
  }

  private copyOf(userId: string, softwareId: string): RegistrationRecord | undefined {
    return [...this.copies.values()].find((c) => c.userId === userId && c.softwareId === softwareId);
  }

  private registration(userId: string, softwareId: string, deviceId: string): RegistrationRecord | undefined {
    const copy = this.copyOf(userId, softwareId);
    return copy?.deviceId === deviceId ? copy : undefined;
  }

  purchase(
    userId: string,
    input: Input<typeof PurchaseBody>,
    idempotencyKey: string | undefined,
  ): IdempotentResult<{ purchase: Purchase }> {
    const { softwareId, deviceId } = input;
    return this.idempotent({ userId, name: 'purchase', key: idempotencyKey, request: input }, () => {
      if (!this.ownDevice(userId, deviceId)) {
        throw mockProblem('DEVICE_NOT_ENROLLED', 'enrol this device to your account before buying for it');
      }
      const software = this.listed(softwareId);
      if (!software) throw mockProblem('NOT_FOUND', `there is no program "${softwareId}" in the catalog`);
      const owned = this.copyOf(userId, softwareId);
      if (owned) {
        throw mockProblem(
          'ALREADY_REGISTERED',
          owned.deviceId === deviceId
            ? `you already own ${software.name} on this device`
            : `you already own ${software.name} on another of your devices; move it here instead of buying it again`,
        );
      }
      const purchase: Purchase = {
        purchaseId: newId('pur'),
        softwareId,
        deviceId,
        copyId: newId('cpy'),
        priceCents: software.priceCents,
        currency: software.currency,
        createdAt: this.nowIso(),
      };
      this.purchases.push({ ...purchase, userId });
      this.copies.set(purchase.copyId, {
        copyId: purchase.copyId,
        userId,
        softwareId,
        deviceId,
        registeredAt: purchase.createdAt,
      });
      this.record({
        type: 'registration.purchased',
        userId,
        softwareId,
        deviceId,
        copyId: purchase.copyId,
        data: {
          purchaseId: purchase.purchaseId,
          priceCents: purchase.priceCents,
          currency: purchase.currency,
        },
      });
      return { status: 201, body: { purchase } };
    });
  }

  registrations(userId: string): Registration[] {
    return [...this.copies.values()]
      .filter((copy) => copy.userId === userId)
      .sort(
        byKeys<RegistrationRecord>(
          (r) => r.registeredAt,
          (r) => r.copyId,
        ),
      )
      .map(toRegistration);
  }

  /** The release a device may download: only where the copy is registered. */
  downloadable(userId: string, softwareId: string, deviceId: string): ReleaseRecord {
    if (!this.registration(userId, softwareId, deviceId)) throw notRegistered(softwareId);
    const release = this.newestRelease(softwareId);
    if (!release) throw mockProblem('NOT_FOUND', `${softwareId} has no published release`);
    return release;
  }

  // ── licenses ───────────────────────────────────────────────────────────────

  private async issueLicense(
    copy: RegistrationRecord,
  ): Promise<{ licenseKey: string; claims: LicenseClaims }> {
    const iat = Math.floor(this.now().getTime() / 1000);
    const claims: LicenseClaims = {
      iss: this.settings.issuer,
      sub: copy.copyId,
      sw: copy.softwareId,
      usr: copy.userId,
      dev: copy.deviceId,
      iat,
      exp: iat + this.settings.leaseSeconds,
      jti: newId('lic'),
    };
    // Recorded before signing, so a transfer that runs meanwhile still revokes it.
    this.licenses.push({
      jti: claims.jti,
      copyId: claims.sub,
      userId: claims.usr,
      softwareId: claims.sw,
      deviceId: claims.dev,
      revokedAt: null,
    });
    return { licenseKey: await this.keys.sign(claims), claims };
  }

  requestLicense(
    userId: string,
    input: Input<typeof LicenseRequestBody>,
  ): { transactionId: string; expiresAt: string } {
    const copy = this.registration(userId, input.softwareId, input.deviceId);
    if (!copy) throw notRegistered(input.softwareId);
    const transactionId = newSecret('kpt');
    const expiresAt = new Date(
      this.now().getTime() + this.settings.transactionTtlSeconds * 1000,
    ).toISOString();
    this.transactions.set(sha256Hex(transactionId), {
      userId,
      deviceId: input.deviceId,
      softwareId: input.softwareId,
      copyId: copy.copyId,
      expiresAt,
      redeemedAt: null,
    });
    return { transactionId, expiresAt };
  }

  /** `forceExpired`: the expired-transaction fault, checked where the real expiry is. */
  redeem(
    userId: string,
    input: Input<typeof RedeemBody>,
    forceExpired = false,
  ): Promise<{ licenseKey: string; claims: LicenseClaims }> {
    const transaction = this.transactions.get(sha256Hex(input.transactionId));
    // Another user's or another device's transaction looks exactly like an unknown one.
    if (!transaction || transaction.userId !== userId || transaction.deviceId !== input.deviceId) {
      throw mockProblem(
        'TRANSACTION_UNKNOWN',
        'ask for a new license; this transaction ID is not one of yours',
      );
    }
    if (transaction.redeemedAt !== null) {
      throw mockProblem(
        'TRANSACTION_USED',
        'this transaction ID was already redeemed; ask for a new license',
      );
    }
    const now = this.nowIso();
    if (forceExpired || transaction.expiresAt <= now) {
      throw mockProblem('TRANSACTION_EXPIRED', 'this transaction ID has expired; ask for a new license');
    }
    const copy = this.registration(userId, transaction.softwareId, input.deviceId);
    // The provider rolls the redemption back here, so the ID is not used up either.
    if (!copy || copy.copyId !== transaction.copyId) throw notRegistered(transaction.softwareId);
    transaction.redeemedAt = now;
    return this.issueLicense(copy);
  }

  refresh(
    userId: string,
    input: Input<typeof LicenseRequestBody>,
  ): Promise<{ licenseKey: string; claims: LicenseClaims }> {
    const { softwareId, deviceId } = input;
    const copy = this.registration(userId, softwareId, deviceId);
    if (copy) return this.issueLicense(copy);
    const revoked = this.licenses.some(
      (l) => l.userId === userId && l.softwareId === softwareId && l.deviceId === deviceId && l.revokedAt,
    );
    if (revoked) {
      throw mockProblem(
        'LICENSE_REVOKED',
        `${softwareId} was moved to another device; remove it here or move it back`,
      );
    }
    throw notRegistered(softwareId);
  }

  // ── transfers ──────────────────────────────────────────────────────────────

  transfer(
    userId: string,
    input: Input<typeof TransferBody>,
    idempotencyKey: string | undefined,
  ): IdempotentResult<{ transfer: Transfer }> {
    const { softwareId, sourceDeviceId, destinationDeviceId } = input;
    if (sourceDeviceId === destinationDeviceId) {
      throw mockProblem('SAME_DEVICE', 'choose a destination other than the device the program is on');
    }
    return this.idempotent({ userId, name: 'transfer', key: idempotencyKey, request: input }, () => {
      if (!this.ownDevice(userId, sourceDeviceId)) {
        throw mockProblem('DEVICE_NOT_ENROLLED', 'the source device is not enrolled to your account');
      }
      if (!this.ownDevice(userId, destinationDeviceId)) {
        throw mockProblem('DEVICE_NOT_ENROLLED', 'enrol the destination device to your account first');
      }
      const copy = this.copyOf(userId, softwareId);
      if (copy?.deviceId === destinationDeviceId) {
        throw mockProblem(
          'ALREADY_REGISTERED',
          `${softwareId} is already registered to the destination device`,
        );
      }
      if (!copy || copy.deviceId !== sourceDeviceId) {
        throw mockProblem('NOT_REGISTERED', `${softwareId} is not registered to the source device`);
      }
      const at = this.nowIso();
      // Deleted and registered anew (as the provider's rows are), so it lists after older copies.
      this.copies.delete(copy.copyId);
      this.copies.set(copy.copyId, { ...copy, deviceId: destinationDeviceId, registeredAt: at });
      let licensesRevoked = 0;
      for (const license of this.licenses) {
        if (license.copyId === copy.copyId && license.deviceId === sourceDeviceId && !license.revokedAt) {
          license.revokedAt = at;
          licensesRevoked += 1;
        }
      }
      const transfer: TransferRecord = {
        transferId: newId('trf'),
        copyId: copy.copyId,
        softwareId,
        sourceDeviceId,
        destinationDeviceId,
        createdAt: at,
        userId,
      };
      this.transferLog.push(transfer);
      this.record({
        type: 'registration.transferred',
        userId,
        softwareId,
        deviceId: destinationDeviceId,
        copyId: copy.copyId,
        data: { transferId: transfer.transferId, sourceDeviceId, destinationDeviceId, licensesRevoked },
      });
      return { status: 201, body: { transfer: toTransfer(transfer) } };
    });
  }

  /** Newest first, as the provider lists them. */
  transfers(userId: string): Transfer[] {
    return this.transferLog
      .filter((transfer) => transfer.userId === userId)
      .sort((a, b) =>
        a.createdAt === b.createdAt
          ? a.transferId < b.transferId
            ? -1
            : 1
          : a.createdAt < b.createdAt
            ? 1
            : -1,
      )
      .map(toTransfer);
  }

  // ── admin ──────────────────────────────────────────────────────────────────

  /**
   * The retailer's provisioning: creates the account if needed, adds devices it does not
   * have yet, refuses one another account has — all or nothing — and ignores the limit.
   */
  provision(input: Input<typeof ProvisionBody>): { user: User; devices: Device[] } {
    const email = normaliseEmail(input.email);
    const existing = this.userByEmail(email);
    // Check every device before changing anything: the provider's transaction rolls back.
    for (const device of input.devices) {
      const owner = this.devices.get(device.deviceId)?.userId;
      if (owner !== undefined && owner !== existing?.userId) {
        throw mockProblem(
          'DEVICE_TAKEN',
          `device ${device.deviceId.slice(0, 12)}… is enrolled to another account`,
        );
      }
    }
    const now = this.nowIso();
    const user: UserRecord = existing ?? {
      userId: newId('usr'),
      email,
      displayName: input.displayName,
      createdAt: now,
      passwordHash: null,
    };
    if (input.password !== undefined) user.passwordHash = hashPassword(input.password);
    this.users.set(user.userId, user);
    for (const device of input.devices) {
      if (this.devices.has(device.deviceId)) continue;
      this.devices.set(device.deviceId, { ...device, userId: user.userId, enrolledAt: now });
      this.record({
        type: 'device.provisioned',
        userId: user.userId,
        deviceId: device.deviceId,
        data: { name: device.name, platform: device.platform },
      });
    }
    return { user: toUser(user), devices: this.listDevices(user.userId) };
  }

  hasSoftware(softwareId: string): boolean {
    return this.software.has(softwareId);
  }

  createSoftware(input: Input<typeof CreateSoftwareBody>): SoftwareRecord {
    if (this.software.has(input.softwareId)) {
      throw mockProblem('ALREADY_EXISTS', `software "${input.softwareId}" already exists`);
    }
    const row: SoftwareRecord = { ...input, createdAt: this.nowIso() };
    this.software.set(row.softwareId, row);
    this.record({
      type: 'software.created',
      softwareId: row.softwareId,
      data: { name: row.name, priceCents: row.priceCents },
    });
    return { ...row };
  }

  async publishRelease(softwareId: string, archive: Buffer): Promise<Release> {
    if (!this.software.has(softwareId)) {
      throw mockProblem('NOT_FOUND', `create software "${softwareId}" before publishing a release of it`);
    }
    const manifest = await inspectPackage(archive);
    if (this.releases.some((r) => r.softwareId === softwareId && r.version === manifest.version)) {
      throw mockProblem(
        'ALREADY_EXISTS',
        `${softwareId} ${manifest.version} is already published; bump the version`,
      );
    }
    const release: ReleaseRecord = {
      softwareId,
      version: manifest.version,
      sha256: sha256Hex(archive),
      sizeBytes: archive.length,
      entry: manifest.entry,
      publishedAt: this.nowIso(),
      bytes: Buffer.from(archive),
    };
    this.releases.push(release);
    this.record({
      type: 'release.published',
      softwareId,
      data: { version: release.version, sha256: release.sha256 },
    });
    return toRelease(release);
  }

  events(after: number, limit: number): { events: AuditEvent[]; nextAfter: number } {
    const events = this.auditLog.filter((event) => event.eventId > after).slice(0, limit);
    return { events: structuredClone(events), nextAfter: events.at(-1)?.eventId ?? after };
  }
}
