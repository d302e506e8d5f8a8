/**
 * One process at a time writes a profile (DESIGN §2): the app, the web shell and the CLI
 * each take `profile.lock` in the profile folder before opening its state, and a second
 * process waits a little (a CLI command started while another finishes), then says which
 * process holds it. Two writers would each keep their own copy of the state and overwrite
 * the other's: a key stored by one could be forgotten by the other's next write.
 *
 * The lock is a file created exclusively (written aside, then hard-linked into place, which
 * fails when it exists), holding who took it. It is released on close and on process exit;
 * a lock whose process is gone, or that was taken before the machine last booted, is stale
 * and taken over. A second core in the same process is a second holder, refused like any.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { uptime } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../shared/app-api/app-errors.ts';

export const PROFILE_LOCK_FILE = 'profile.lock';

/** Which front end holds a profile: the Electron app, the web shell (`keyport open`), the CLI. */
export type ProfileProgram = 'app' | 'web-shell' | 'cli';

export interface LockHolder {
  pid: number;
  program: ProfileProgram;
  /** The command line, for the sentence that names the holder. */
  command: string;
  startedAt: string;
  /** Tells this holder's lock from another's in the same process. */
  nonce: string;
}

export interface ProfileLock {
  release(): Promise<void>;
}

export interface LockOptions {
  program: ProfileProgram;
  /** How long a second process waits for the holder to finish. */
  waitMs?: number;
  pollMs?: number;
  now?: () => Date;
}

export async function lockProfile(profileDir: string, options: LockOptions): Promise<ProfileLock> {
  const file = path.join(profileDir, PROFILE_LOCK_FILE);
  const now = options.now ?? (() => new Date());
  const me: LockHolder = {
    pid: process.pid,
    program: options.program,
    command: commandLine(options.program),
    startedAt: now().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  };
  const deadline = Date.now() + (options.waitMs ?? 3000);
  for (;;) {
    if (await createExclusively(file, JSON.stringify(me))) break;
    const holder = await readHolder(file);
    if (holder === null || isStale(holder)) {
      await removeIfStill(file, holder);
      continue;
    }
    if (Date.now() >= deadline) throw profileInUse(profileDir, holder);
    await sleep(options.pollMs ?? 100);
  }
  // A process that exits without closing (an error, process.exit) must not leave it held.
  const onExit = () => {
    try {
      if (readHolderSync(file)?.nonce === me.nonce) unlinkSync(file);
    } catch {
      // Gone already.
    }
  };
  process.on('exit', onExit);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      process.off('exit', onExit);
      if ((await readHolder(file))?.nonce === me.nonce) await rm(file, { force: true });
    },
  };
}

async function createExclusively(file: string, text: string): Promise<boolean> {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(aside, text, { mode: 0o600 });
  try {
    await link(aside, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(aside, { force: true });
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const holder = JSON.parse(text) as LockHolder;
    return Number.isInteger(holder.pid) && typeof holder.nonce === 'string' ? holder : null;
  } catch {
    return null;
  }
}

async function readHolder(file: string): Promise<LockHolder | null> {
  return parseHolder(await readFile(file, 'utf8').catch(() => ''));
}

/** Synchronous, for the exit handler, where nothing asynchronous runs any more. */
function readHolderSync(file: string): LockHolder | null {
  try {
    return parseHolder(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** Its process is gone, or it was taken before this boot (the pid may belong to another process now). */
function isStale(holder: LockHolder): boolean {
  const bootedAt = Date.now() - uptime() * 1000;
  if (Date.parse(holder.startedAt) < bootedAt - 60_000) return true;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

/**
 * Remove a stale lock — unless another process took it over meanwhile (the file then holds
 * that process, alive). An unreadable lock is removed too: the link makes a lock whole or
 * absent, so only damage leaves one unreadable.
 */
async function removeIfStill(file: string, seen: LockHolder | null): Promise<void> {
  const current = await readHolder(file);
  if (current?.nonce === seen?.nonce) await rm(file, { force: true });
}

function commandLine(program: ProfileProgram): string {
  const args = withoutSecrets(process.argv.slice(2)).join(' ');
  return program === 'cli' ? `keyport ${args}`.trim() : args;
}

/**
 * The command line as another process may read it (in the lock and in its sentence): a
 * password given with `--password` is replaced, so it is never written down or shown.
 */
export function withoutSecrets(args: readonly string[]): string[] {
  return args.map((arg, i) => {
    if (arg.startsWith('--password=')) return '--password=…';
    return args[i - 1] === '--password' ? '…' : arg;
  });
}

const PROGRAMS: Record<ProfileProgram, string> = {
  app: 'the Keyport app',
  'web-shell': 'the Keyport app in a browser window',
  cli: 'the keyport command',
};

/** "10:02" today, "2026-12-07 10:02" on another day. */
function when(iso: string): string {
  const at = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  const today = new Date().toDateString() === at.toDateString();
  return today ? time : `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${time}`;
}

function profileInUse(profileDir: string, holder: LockHolder): AppError {
  const command = holder.program === 'cli' && holder.command ? ` \`${holder.command}\`` : '';
  return new AppError(
    'PROFILE_IN_USE',
    `This profile (${profileDir}) is in use by ${PROGRAMS[holder.program] ?? 'another Keyport'}${command} ` +
      `(process ${holder.pid}, since ${when(holder.startedAt)}). Close it first, or use another profile with --profile DIR.`,
  );
}
