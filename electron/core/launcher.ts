/**
 * Launching an installed program (Fig. 14, S51–S54). Before every launch the app reads
 * the device ID again and compares it with the authentication information stored at
 * licensing time and with the key's `dev` claim, then checks the key's signature and
 * lease against the provider's public keys. Only when everything checks does the program
 * start, with its key in `KEYPORT_LICENSE` (invariant 5). Each run gets its own log.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { JSONWebKeySet } from 'jose';
import type { RunLog, RunResult } from '../../shared/app-api/app-api.ts';
import { AppError } from '../../shared/app-api/app-errors.ts';
import {
  LicenseInvalidError,
  shortDeviceId,
  verifyProviderLicense,
  type LicenseClaims,
} from '../../shared/license/license.ts';
import type { LocalCopy } from './local-state.ts';

export interface LaunchCheck {
  softwareId: string;
  copy: LocalCopy | undefined;
  licenseKey: string | null;
  /** The device ID read again just now. */
  currentDeviceId: string;
  /** The cached JWKS; one saved before the provider published its issuer has none. */
  jwks: (JSONWebKeySet & { issuer?: string }) | null;
  now: Date;
}

/** What a passed check proved: an installed copy with a key whose claims check here. */
export interface ApprovedLaunch {
  name: string;
  installed: NonNullable<LocalCopy['installed']>;
  licenseKey: string;
  claims: LicenseClaims;
}

/** The launch this device may make, or a AppError saying why not. */
export async function checkLaunch(check: LaunchCheck): Promise<ApprovedLaunch> {
  const { copy, softwareId } = check;
  if (!copy?.installed) {
    throw new AppError('NOT_INSTALLED', `${copy?.name ?? softwareId} is not installed on this device.`);
  }
  if (copy.status === 'moved') {
    throw new AppError(
      'COPY_MOVED',
      `${copy.name} has moved to another of your devices, so it no longer runs here. Uninstall it, or transfer it back.`,
    );
  }
  if (check.licenseKey === null || copy.authDeviceId === null) {
    throw new AppError(
      'LICENSE_MISSING',
      `${copy.name} has no license key on this device. Go online and install it again from your library to license it.`,
    );
  }
  if (copy.authDeviceId !== check.currentDeviceId) {
    throw new AppError(
      'DEVICE_MISMATCH',
      `${copy.name} was licensed to device ${shortDeviceId(copy.authDeviceId)}, but this is device ` +
        `${shortDeviceId(check.currentDeviceId)}. Transfer it to this device from your library.`,
    );
  }
  if (check.jwks === null) {
    throw new AppError(
      'LICENSE_INVALID',
      `Keyport does not have the store's public keys yet, so it cannot check ${copy.name}'s license. Go online once.`,
    );
  }
  const { issuer, keys } = check.jwks;
  if (!issuer) {
    // This check works offline, so it cannot fetch the keys again; and one without the
    // issuer would accept a key from any issuer sharing these keys. Refuse until a sync
    // (or LicenseKeeper.jwks, which treats such a cache as stale) replaces the cache.
    throw new AppError(
      'LICENSE_INVALID',
      `Keyport's saved copy of the store's public keys is from an older version and does not name the store, ` +
        `so it cannot check ${copy.name}'s license. Go online once.`,
    );
  }
  let claims: LicenseClaims;
  try {
    const expected = { softwareId, deviceId: check.currentDeviceId, now: check.now };
    claims = await verifyProviderLicense(check.licenseKey, { issuer, keys }, expected);
  } catch (error) {
    throw launchRefusal(copy.name, error);
  }
  if (copy.copyId !== null && claims.sub !== copy.copyId) {
    throw new AppError(
      'LICENSE_INVALID',
      `${copy.name}'s license key belongs to another copy. Install it again.`,
    );
  }
  return { name: copy.name, installed: copy.installed, licenseKey: check.licenseKey, claims };
}

function launchRefusal(name: string, error: unknown): AppError {
  if (!(error instanceof LicenseInvalidError)) {
    return new AppError('LICENSE_INVALID', `${name}'s license key could not be checked. Install it again.`);
  }
  switch (error.reason) {
    case 'WRONG_DEVICE':
      return new AppError(
        'DEVICE_MISMATCH',
        `${name}'s license key was issued to another device. Transfer it to this device from your library.`,
      );
    case 'WRONG_ISSUER':
      return new AppError(
        'LICENSE_INVALID',
        `${name}'s license key does not come from this store (${error.message}). Install it again from your library.`,
      );
    case 'EXPIRED':
      return new AppError(
        'LICENSE_INVALID',
        `${name}'s license lease has ended. Go online so Keyport can renew it, then start it again.`,
      );
    default:
      return new AppError(
        'LICENSE_INVALID',
        `${name}'s license key failed its check (${error.message}). Install it again from your library.`,
      );
  }
}

export interface ProgramRun {
  softwareId: string;
  name: string;
  installDir: string;
  /** Absolute path of the entry point, already checked to be inside installDir. */
  entryPath: string;
  licenseKey: string;
  deviceId: string;
  logDir: string;
  /** How much output to hand back (the log keeps all of it). */
  maxOutputBytes?: number;
}

const NODE_ENTRY = /\.(mjs|cjs|js)$/;

/** Each program's run logs, one file per run, named by when it started. */
const runLogFolder = (logDir: string, softwareId: string) => path.join(logDir, softwareId);

/** Start the program with its key and wait for it; stdout and stderr go to a per-run log. */
export async function runProgram(run: ProgramRun): Promise<RunResult> {
  const folder = runLogFolder(run.logDir, run.softwareId);
  await mkdir(folder, { recursive: true });
  const logPath = path.join(folder, `${new Date().toISOString().replaceAll(':', '-')}.log`);
  const log = createWriteStream(logPath, { mode: 0o600 });
  log.write(`# ${run.name} (${run.softwareId}) on device ${shortDeviceId(run.deviceId)}\n`);
  log.write(`# started ${new Date().toISOString()}\n`);

  // JavaScript entries run on this Node (or Electron acting as Node); others directly.
  const isNodeEntry = NODE_ENTRY.test(run.entryPath);
  const command = isNodeEntry ? process.execPath : run.entryPath;
  const args = isNodeEntry ? [run.entryPath] : [];
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('KEYPORT_')),
  );
  env.KEYPORT_LICENSE = run.licenseKey;
  env.KEYPORT_DEVICE_ID = run.deviceId;
  if (isNodeEntry && process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';

  const limit = run.maxOutputBytes ?? 1024 * 1024;
  let output = '';
  const collect = (chunk: Buffer) => {
    log.write(chunk);
    if (output.length < limit) output += chunk.toString('utf8').slice(0, limit - output.length);
  };

  const outcome = await new Promise<{ exitCode: number | null; signal: string | null }>((resolve, reject) => {
    const child = spawn(command, args, { cwd: run.installDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error) =>
      reject(
        new AppError('RUN_FAILED', `${run.name} could not be started (${error.message}). Reinstall it.`),
      ),
    );
    child.once('close', (exitCode, signal) => resolve({ exitCode, signal }));
  }).catch(async (error: unknown) => {
    log.end(`# failed to start: ${(error as Error).message}\n`);
    throw error;
  });
  await new Promise<void>((resolve) =>
    log.end(`# exited with ${outcome.signal ?? `code ${outcome.exitCode}`}\n`, () => resolve()),
  );
  return { softwareId: run.softwareId, ...outcome, output, logPath };
}

/**
 * The newest run's log for "Open log": its end when it is long, since the end is where
 * a crash is. Log names are ISO timestamps, so the last name in order is the newest.
 */
export async function readLatestRunLog(
  logDir: string,
  softwareId: string,
  maxBytes = 256 * 1024,
): Promise<RunLog | null> {
  const folder = runLogFolder(logDir, softwareId);
  const names = await readdir(folder).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const newest = names
    .filter((name) => name.endsWith('.log'))
    .sort()
    .at(-1);
  if (!newest) return null;
  const logPath = path.join(folder, newest);
  const file = await open(logPath, 'r');
  try {
    const { size } = await file.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await file.read(buffer, 0, length, size - length);
    return { softwareId, logPath, text: buffer.toString('utf8'), truncated: size > length };
  } finally {
    await file.close();
  }
}
