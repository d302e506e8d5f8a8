/**
 * A real Secret Service for a user of the clean root: a D-Bus session and an unlocked
 * GNOME Keyring, run on the host under that user's uid (the root has neither installed;
 * a user's desktop would). Its socket is then bound into the root, so the installed
 * `keyport` keeps its keys exactly as on a desktop, through D-Bus as that user.
 *
 * dbus-daemon refuses a uid without a passwd entry, and the host has no such user: the
 * daemons run in a mount namespace of their own whose /etc/passwd and /etc/group have it
 * (bind mounts that the host never sees).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface UserKeychain {
  /** DBUS_SESSION_BUS_ADDRESS for the user's processes. */
  address: string;
  /** The session bus's socket on the host (bind it into the root at the same path). */
  socket: string;
  close(): Promise<void>;
}

/** Whether this machine can run one (dbus-run-session and gnome-keyring-daemon installed). */
export function keychainUnavailable(): string | null {
  for (const program of [
    '/usr/bin/dbus-run-session',
    '/usr/bin/gnome-keyring-daemon',
    '/usr/bin/setpriv',
    '/usr/bin/unshare',
  ])
    if (!existsSync(program))
      return `${program} is not installed (apt-get install dbus gnome-keyring util-linux)`;
  return null;
}

export async function startUserKeychain(
  user: { name: string; uid: number; gid: number },
  scratch: string,
): Promise<UserKeychain> {
  const { uid, gid } = user;
  await mkdir(path.join(scratch, 'data'), { recursive: true });
  const passwd = path.join(scratch, 'passwd');
  const group = path.join(scratch, 'group');
  await writeFile(
    passwd,
    `${await readFile('/etc/passwd', 'utf8')}${user.name}:x:${uid}:${gid}::${scratch}:/bin/sh\n`,
  );
  await writeFile(group, `${await readFile('/etc/group', 'utf8')}${user.name}:x:${gid}:\n`);
  await mkdir(path.join(scratch, 'run'), { recursive: true, mode: 0o700 });
  for (const dir of [scratch, path.join(scratch, 'data'), path.join(scratch, 'run')])
    await chown(dir, uid, gid);
  const addressFile = path.join(scratch, 'address');
  const script =
    'printf "keyport-test-keyring\\n" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; ' +
    `echo "$DBUS_SESSION_BUS_ADDRESS" > ${addressFile}; exec sleep infinity`;
  const child = spawn(
    '/usr/bin/unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '/bin/sh',
      '-c',
      `mount --bind ${passwd} /etc/passwd && mount --bind ${group} /etc/group && exec "$@"`,
      'keychain',
      '/usr/bin/setpriv',
      `--reuid=${uid}`,
      `--regid=${gid}`,
      '--clear-groups',
      '/usr/bin/env',
      '-i',
      `HOME=${scratch}`,
      `XDG_DATA_HOME=${path.join(scratch, 'data')}`,
      `XDG_RUNTIME_DIR=${path.join(scratch, 'run')}`,
      'PATH=/usr/bin:/bin',
      '/usr/bin/dbus-run-session',
      '--',
      '/bin/sh',
      '-c',
      script,
    ],
    { stdio: 'ignore', detached: true },
  );
  const close = async () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await rm(scratch, { recursive: true, force: true });
  };
  for (let waited = 0; waited < 10_000; waited += 100) {
    const address = existsSync(addressFile) ? (await readFile(addressFile, 'utf8')).trim() : '';
    const socket = /unix:path=([^,]+)/.exec(address)?.[1];
    if (socket) return { address, socket, close };
    if (address) {
      await close();
      throw new Error(`the D-Bus session has an address the root cannot reach: ${address}`);
    }
    await sleep(100);
  }
  await close();
  throw new Error('the D-Bus session with GNOME Keyring did not start within 10 s');
}
