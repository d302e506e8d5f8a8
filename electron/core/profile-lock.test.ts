/** One writer per profile: the second waits, then is told who holds it; stale locks are taken over. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appErrorOf } from '../../test-support/app-error-of.ts';
import { lockProfile, PROFILE_LOCK_FILE, withoutSecrets } from './profile-lock.ts';

let profileDir: string;
beforeEach(async () => {
  profileDir = await mkdtemp(path.join(tmpdir(), 'keyport-lock-'));
});
afterEach(() => rm(profileDir, { recursive: true, force: true }));

const lockFile = () => path.join(profileDir, PROFILE_LOCK_FILE);

/** The pid of a process that has just exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('the profile lock', () => {
  it('makes a second holder wait, then names the process that holds it', async () => {
    const first = await lockProfile(profileDir, { program: 'app' });
    expect((await stat(lockFile())).mode & 0o777).toBe(0o600);
    const began = Date.now();
    const refused = await appErrorOf(lockProfile(profileDir, { program: 'cli', waitMs: 400, pollMs: 50 }));
    expect(Date.now() - began).toBeGreaterThanOrEqual(400);
    expect(refused.code).toBe('PROFILE_IN_USE');
    expect(refused.message).toMatch(
      new RegExp(
        `^This profile \\(${profileDir}\\) is in use by the Keyport app \\(process ${process.pid}, since \\d\\d:\\d\\d\\)\\. ` +
          'Close it first, or use another profile with --profile DIR\\.$',
      ),
    );
    await first.release();
    expect(existsSync(lockFile())).toBe(false);
    const later = await lockProfile(profileDir, { program: 'cli' });
    await later.release();
  });

  it('names the command when the CLI holds it', async () => {
    const cli = await lockProfile(profileDir, { program: 'cli' });
    const refused = await appErrorOf(lockProfile(profileDir, { program: 'app', waitMs: 0 }));
    expect(refused.message).toMatch(/in use by the keyport command `keyport[^`]*` \(process \d+, since/);
    await cli.release();
  });

  it('goes to a waiting process as soon as the holder lets go', async () => {
    const first = await lockProfile(profileDir, { program: 'app' });
    const waiting = lockProfile(profileDir, { program: 'cli', waitMs: 3000, pollMs: 20 });
    setTimeout(() => void first.release(), 200);
    const second = await waiting;
    const holder = JSON.parse(await readFile(lockFile(), 'utf8'));
    expect(holder).toMatchObject({ pid: process.pid, program: 'cli' });
    // The first holder's late release does not free the second's lock.
    await first.release();
    expect(existsSync(lockFile())).toBe(true);
    await second.release();
  });

  it('takes over a lock whose process is gone, or that is older than this boot', async () => {
    const now = new Date().toISOString();
    await writeFile(
      lockFile(),
      JSON.stringify({ pid: deadPid(), program: 'app', command: '', startedAt: now, nonce: 'x' }),
    );
    const taken = await lockProfile(profileDir, { program: 'cli', waitMs: 0 });
    await taken.release();

    const beforeBoot = new Date(0).toISOString();
    await writeFile(
      lockFile(),
      JSON.stringify({ pid: process.pid, program: 'app', command: '', startedAt: beforeBoot, nonce: 'y' }),
    );
    const again = await lockProfile(profileDir, { program: 'cli', waitMs: 0 });
    await again.release();
  });

  it('is let go when the process exits without closing', async () => {
    const script = `
      import { lockProfile } from ${JSON.stringify(path.resolve('electron/core/profile-lock.ts'))};
      await lockProfile(${JSON.stringify(profileDir)}, { program: 'cli' });
      process.exit(3);
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(3);
    expect(existsSync(lockFile())).toBe(false);
  });
});

describe('the command line a lock records', () => {
  it('never holds a password given on it', () => {
    expect(withoutSecrets(['login', '--email', 'a@b.c', '--password', 'hunter22', '--profile', 'p'])).toEqual(
      ['login', '--email', 'a@b.c', '--password', '…', '--profile', 'p'],
    );
    expect(withoutSecrets(['login', '--password=hunter22'])).toEqual(['login', '--password=…']);
  });
});
