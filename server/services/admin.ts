/**
 * The retailer's side of the registry: provisioning users with their devices, adding
 * software and publishing releases. Used by the admin routes and by `--seed-demo`,
 * so the demo catalog goes through exactly the checks an upload does.
 */
import type { z } from 'zod';
import type {
  CreateSoftwareBody,
  PackageManifest,
  ProvisionBody,
  Release,
} from '../../shared/provider-api/schemas.ts';
import type { ProviderContext } from '../context.ts';
import { inTransaction, isUniqueViolation } from '../db/database.ts';
import type { DeviceRow, SoftwareRow, UserRow } from '../db/schema.ts';
import { normaliseEmail } from './accounts.ts';
import { addDevice, updateReport } from './devices.ts';
import { recordEvent } from '../lib/audit.ts';
import { ArchiveRefusal } from '../../shared/packages/archive-safety.ts';
import { PackageScanner, readPackageManifest } from '../../shared/packages/package-inspector.ts';
import { UploadTooLargeError, type StagedArtifact } from '../lib/artifacts.ts';
import { hashPassword } from '../lib/passwords.ts';
import { problem } from '../lib/problem.ts';
import { newId } from '../lib/secrets.ts';

export async function provision(
  ctx: ProviderContext,
  input: z.infer<typeof ProvisionBody>,
): Promise<{ user: UserRow; devices: DeviceRow[] }> {
  const email = normaliseEmail(input.email);
  const passwordHash = input.password === undefined ? undefined : await hashPassword(input.password);
  return inTransaction(ctx.registry, async (trx) => {
    const now = ctx.now();
    let user = await trx.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
    if (!user) {
      user = {
        user_id: newId('usr'),
        email,
        display_name: input.displayName,
        password_hash: passwordHash ?? null,
        created_at: now.toISOString(),
      };
      await trx.insertInto('users').values(user).execute();
    } else if (passwordHash !== undefined) {
      await trx
        .updateTable('users')
        .set({ password_hash: passwordHash })
        .where('user_id', '=', user.user_id)
        .execute();
    }
    for (const device of input.devices) {
      const existing = await trx
        .selectFrom('devices')
        .selectAll()
        .where('device_id', '=', device.deviceId)
        .executeTakeFirst();
      if (existing && existing.user_id !== user.user_id) {
        throw problem(
          'DEVICE_TAKEN',
          `device ${device.deviceId.slice(0, 12)}… is enrolled to another account`,
        );
      }
      // What the retailer knows about the device (components, its ID's source) is kept
      // exactly as when the user enrols it.
      if (existing) await updateReport(ctx, trx, existing, device);
      else await addDevice(ctx, trx, user.user_id, device, 'device.provisioned');
    }
    const devices = await trx
      .selectFrom('devices')
      .selectAll()
      .where('user_id', '=', user.user_id)
      .orderBy('enrolled_at')
      .orderBy('device_id')
      .execute();
    return { user, devices };
  });
}

export async function createSoftware(
  ctx: ProviderContext,
  input: z.infer<typeof CreateSoftwareBody>,
): Promise<SoftwareRow> {
  const now = ctx.now();
  const row: SoftwareRow = {
    software_id: input.softwareId,
    name: input.name,
    summary: input.summary,
    price_cents: input.priceCents,
    currency: input.currency,
    created_at: now.toISOString(),
  };
  try {
    await inTransaction(ctx.registry, async (trx) => {
      await trx.insertInto('software').values(row).execute();
      await recordEvent(
        trx,
        {
          type: 'software.created',
          software_id: row.software_id,
          data: { name: row.name, priceCents: row.price_cents },
        },
        now,
      );
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw problem('ALREADY_EXISTS', `software "${input.softwareId}" already exists`);
    throw error;
  }
  return row;
}

/**
 * Publishes a release from its upload, streamed: the bytes go to a temporary file while
 * they are hashed and scanned (PackageScanner: gunzip on libuv's pool, headers read as
 * they arrive), so memory stays flat and other requests keep being answered whatever the
 * package's size; a refused upload stops as soon as it is refused and leaves no file.
 */
export async function publishRelease(
  ctx: ProviderContext,
  softwareId: string,
  upload: Buffer | AsyncIterable<Buffer>,
): Promise<Release> {
  const software = await ctx.registry.db
    .selectFrom('software')
    .select('software_id')
    .where('software_id', '=', softwareId)
    .executeTakeFirst();
  if (!software)
    throw problem('NOT_FOUND', `create software "${softwareId}" before publishing a release of it`);
  const received = await receivePackage(ctx, Buffer.isBuffer(upload) ? [upload] : upload);
  try {
    return await recordRelease(ctx, softwareId, received);
  } finally {
    await received.staged.discard();
  }
}

interface ReceivedPackage {
  staged: StagedArtifact;
  manifest: PackageManifest;
  expandedBytes: number;
  entryCount: number;
}

async function receivePackage(
  ctx: ProviderContext,
  upload: AsyncIterable<Buffer> | Iterable<Buffer>,
): Promise<ReceivedPackage> {
  const scanner = new PackageScanner(ctx.settings.archiveLimits);
  let staged: StagedArtifact | undefined;
  try {
    staged = await ctx.artifacts.receive(upload, {
      maxBytes: ctx.settings.maxReleaseBytes,
      inspect: (chunk) => scanner.write(chunk),
    });
    const scan = await scanner.end();
    const manifest = readPackageManifest(scan);
    return { staged, manifest, expandedBytes: scan.expandedBytes, entryCount: scan.entries.length };
  } catch (error) {
    scanner.abandon();
    await staged?.discard();
    throw packageProblem(ctx, error);
  }
}

function packageProblem(ctx: ProviderContext, error: unknown): unknown {
  if (error instanceof UploadTooLargeError) return releaseTooLarge(ctx);
  if (!(error instanceof ArchiveRefusal)) return error;
  if (error.kind === 'too-large') {
    return problem(
      'PAYLOAD_TOO_LARGE',
      `the package expands beyond this provider's limits: ${error.message} (see --max-expanded-mib, --max-entry-mib and --max-entries)`,
    );
  }
  return problem('VALIDATION', error.kind === 'unsafe' ? `unsafe archive: ${error.message}` : error.message);
}

export function releaseTooLarge(ctx: ProviderContext): Error {
  return problem(
    'PAYLOAD_TOO_LARGE',
    `the release is larger than the ${mebibytes(ctx.settings.maxReleaseBytes)} this provider accepts (--max-release-mib)`,
  );
}

function mebibytes(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
}

async function recordRelease(
  ctx: ProviderContext,
  softwareId: string,
  { staged, manifest, expandedBytes, entryCount }: ReceivedPackage,
): Promise<Release> {
  const alreadyPublished = (version: string) =>
    problem('ALREADY_EXISTS', `${softwareId} ${version} is already published; bump the version`);
  // Refuse a duplicate before storing its bytes, so a refused upload leaves no file behind.
  const existing = await ctx.registry.db
    .selectFrom('releases')
    .select('version')
    .where('software_id', '=', softwareId)
    .where('version', '=', manifest.version)
    .executeTakeFirst();
  if (existing) throw alreadyPublished(manifest.version);
  await staged.keep();
  const { sha256, sizeBytes } = staged;
  const now = ctx.now();
  const release = {
    software_id: softwareId,
    version: manifest.version,
    sha256,
    size_bytes: sizeBytes,
    expanded_bytes: expandedBytes,
    entry_count: entryCount,
    entry: manifest.entry,
    published_at: now.toISOString(),
  };
  try {
    await inTransaction(ctx.registry, async (trx) => {
      await trx.insertInto('releases').values(release).execute();
      await recordEvent(
        trx,
        { type: 'release.published', software_id: softwareId, data: { version: release.version, sha256 } },
        now,
      );
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw alreadyPublished(manifest.version);
    throw error;
  }
  return {
    version: release.version,
    sha256,
    sizeBytes,
    expandedBytes,
    entryCount,
    entry: release.entry,
    publishedAt: release.published_at,
  };
}
