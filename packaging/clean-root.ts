/**
 * A clean Debian 12 machine to install the packages into: `debootstrap --variant=minbase
 * bookworm` (no Node, no checkout), made once per machine into the cache and copied
 * afresh for every run. Commands run in it with chroot, as root or as a user of the root,
 * with /proc and /dev mounted (systemd does not run in a chroot: the test starts the
 * service's command itself).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CACHE_DIR } from './paths.ts';

const SUITE = 'bookworm';
const MIRROR = process.env.KEYPORT_DEBIAN_MIRROR || 'http://deb.debian.org/debian';
const PATH_IN_ROOT = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The pristine root in the cache, made on first use (about 40 s). */
export async function ensureCleanRoot(log: (line: string) => void): Promise<string> {
  const pristine = path.join(CACHE_DIR, `clean-root-${SUITE}`);
  if (existsSync(path.join(pristine, 'etc', 'debian_version'))) return pristine;
  log(`making a clean Debian root (debootstrap --variant=minbase ${SUITE}; once per machine)…`);
  const building = `${pristine}.building`;
  await rm(building, { recursive: true, force: true });
  await mkdir(CACHE_DIR, { recursive: true });
  execFileSync('debootstrap', ['--variant=minbase', SUITE, building, MIRROR], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // Renamed into place only once complete: an interrupted run leaves no half root behind.
  await rename(building, pristine);
  return pristine;
}

/** Mount points under `dir` (from /proc/self/mounts), deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  return mounts
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((point) => point.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
}

/**
 * Removes a root copy, after detaching whatever is mounted in it (a crashed run's /dev
 * bind mount among them): `rm -r` through a bind mount of /dev would delete the host's.
 */
async function removeRoot(dir: string): Promise<void> {
  for (const point of await mountsUnder(dir)) execFileSync('umount', ['--lazy', point], { stdio: 'ignore' });
  const left = await mountsUnder(dir);
  if (left.length > 0)
    throw new Error(`still mounted inside ${dir}, so it was not removed: ${left.join(', ')}`);
  await rm(dir, { recursive: true, force: true });
}

export interface RunOptions {
  /** A user of the root (`name`), else root. */
  user?: string;
  env?: Record<string, string>;
  /** Fail unless the command exits 0 (the default); false returns the result anyway. */
  check?: boolean;
  input?: string;
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export class CleanRoot {
  private readonly started = new Set<ChildProcess>();

  private constructor(readonly dir: string) {}

  /** A fresh copy of the pristine root at `dir`, with /proc and /dev mounted. */
  static async create(pristine: string, dir: string): Promise<CleanRoot> {
    await removeRoot(dir);
    execFileSync('cp', ['-a', pristine, dir]);
    const root = new CleanRoot(dir);
    root.mount(['-t', 'proc', 'proc'], 'proc');
    root.mount(['--bind', '/dev'], 'dev');
    // Name resolution for localhost only; the root has no network of its own to set up.
    await writeFile(path.join(dir, 'etc', 'hosts'), '127.0.0.1 localhost\n::1 localhost\n');
    return root;
  }

  private mount(args: string[], inside: string): void {
    const target = path.join(this.dir, inside);
    execFileSync('mount', [...args, target]);
  }

  /** Makes a file of the host (a D-Bus socket) appear at the same path inside. */
  async bindFile(file: string): Promise<void> {
    const target = path.join(this.dir, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, '');
    execFileSync('mount', ['--bind', file, target]);
  }

  path(inside: string): string {
    return path.join(this.dir, inside);
  }

  /** Copies a host file (a .deb) into the root's /tmp/packages; returns its path inside. */
  async copyIn(file: string): Promise<string> {
    const inside = `/tmp/packages/${path.basename(file)}`;
    await mkdir(this.path('tmp/packages'), { recursive: true });
    await cp(file, this.path(inside));
    return inside;
  }

  private argv(command: string[], options: RunOptions): string[] {
    const env: Record<string, string> = { PATH: PATH_IN_ROOT, LANG: 'C.UTF-8', ...options.env };
    const user = options.user ? [`--userspec=${options.user}:${options.user}`] : [];
    const home = options.user && !env.HOME ? { HOME: `/home/${options.user}` } : {};
    const assignments = Object.entries({ ...env, ...home }).map(([k, v]) => `${k}=${v}`);
    return [...user, this.dir, '/usr/bin/env', '-i', ...assignments, ...command];
  }

  run(command: string[], options: RunOptions = {}): RunResult {
    try {
      const stdout = execFileSync('chroot', this.argv(command, options), {
        encoding: 'utf8',
        input: options.input,
        stdio: ['pipe', 'pipe', 'pipe'],
        maxBuffer: 64 * 1024 * 1024,
      });
      return { status: 0, stdout, stderr: '' };
    } catch (error) {
      const failed = error as { status?: number; stdout?: string; stderr?: string };
      const result = { status: failed.status ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
      if (options.check === false) return result;
      throw new Error(
        `in the clean root, \`${command.join(' ')}\` exited ${result.status}:\n${result.stdout}${result.stderr}`,
      );
    }
  }

  /** A long-running command (the provider, the app); stopped by `close` at the latest. */
  start(command: string[], options: RunOptions = {}): ChildProcess {
    const child = spawn('chroot', this.argv(command, options), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.started.add(child);
    child.once('exit', () => this.started.delete(child));
    return child;
  }

  async close(): Promise<void> {
    for (const child of this.started) child.kill('SIGKILL');
    // Whatever those started in turn (the app's children): every process whose root is ours.
    for (const pid of await readdir('/proc').catch(() => [])) {
      if (!/^\d+$/.test(pid)) continue;
      const root = await readlink(`/proc/${pid}/root`).catch(() => null);
      if (root === this.dir) process.kill(Number(pid), 'SIGKILL');
    }
    await sleep(200);
    await removeRoot(this.dir);
  }
}
