/**
 * Two simulated devices, driven through the real `keyport` command (each call its own
 * process, as a script would): buy on A, install, run; transfer A→B; B installs and runs;
 * A refuses to run and shows the copy as moved.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../test-support/backends.ts';
import { KEYCHAIN_READY } from '../../test-support/keychain.ts';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../bin/keyport.js');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

let backend: Backend;
let root: string;
const account = { email: '', password: '' };

function keyport(device: 'a' | 'b', ...args: string[]): Promise<Outcome> {
  const options = [
    '--provider',
    backend.url,
    '--profile',
    path.join(root, device),
    '--simulate-device',
    `${path.basename(root)}-${device}`,
    // Without a keychain in this run (outside CI), use the opt-in file store.
    ...(KEYCHAIN_READY ? [] : ['--insecure-secret-file']),
  ];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args, ...options],
      { env: { ...process.env, KEYPORT_PASSWORD: account.password }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function ok(device: 'a' | 'b', ...args: string[]): Promise<string> {
  const outcome = await keyport(device, ...args);
  if (outcome.code !== 0) {
    throw new Error(`keyport ${args.join(' ')} exited ${outcome.code}: ${outcome.stderr}${outcome.stdout}`);
  }
  return outcome.stdout;
}

describe('the keyport CLI with two simulated devices', () => {
  beforeAll(async () => {
    backend = await startBackend();
    await backend.publishProgram('cli-hello', { priceCents: 299, name: 'CLI Hello' });
    root = await mkdtemp(path.join(tmpdir(), `kp-cli-${randomBytes(3).toString('hex')}-`));
    const fresh = backend.newAccount();
    Object.assign(account, fresh);
    await ok('a', 'signup', '--email', fresh.email, '--name', fresh.displayName);
  });
  afterAll(async () => {
    await keyport('a', 'logout');
    await keyport('b', 'logout');
    await rm(root, { recursive: true, force: true });
    await backend?.close();
  });

  it('buys on A, moves to B, and A stops while B runs', async () => {
    expect(await ok('a', 'enrol', '--name', 'Laptop A')).toMatch(/enrolled as "Laptop A"/);
    expect(await ok('b', 'login', '--email', account.email)).toMatch(/Signed in .*not enrolled yet/s);
    await ok('b', 'enrol', '--name', 'Laptop B');

    expect(await ok('a', 'catalog')).toMatch(/cli-hello\s+2\.99 USD/);
    expect(await ok('a', 'buy', 'cli-hello')).toMatch(/Bought cli-hello \(2\.99 USD\)/);
    const install = await keyport('a', 'install', 'cli-hello');
    expect(install.code).toBe(0);
    expect(install.stderr).toMatch(/downloading .*\n(.|\n)*done\s+\[#+\] 100%/); // progress shown
    const runA = await ok('a', 'run', 'cli-hello');
    expect(runA).toMatch(/CLI Hello — licensed to \S+ on device [0-9a-f]{12}/);

    const devices = JSON.parse(await ok('a', 'devices', '--json')) as Array<{
      name: string;
      software: string[];
    }>;
    expect(devices.find((d) => d.name === 'Laptop A')?.software).toEqual(['cli-hello']);
    expect(await ok('a', 'status')).toMatch(/ID from: +simulated \(simulated\)/);
    // Two simulated devices never look like one machine: the provider refuses, in a sentence.
    const notRecognised = await keyport('b', 'recover', '--from', 'Laptop A');
    expect(notRecognised.code).toBe(1);
    expect(notRecognised.stderr).toMatch(/does not look like this machine/);

    expect(await ok('a', 'transfer', 'cli-hello', '--to', 'Laptop B')).toMatch(
      /Moved cli-hello from "Laptop A" to "Laptop B"\. It no longer runs on this device/,
    );

    const refused = await keyport('a', 'run', 'cli-hello');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/moved to another of your devices/);
    expect(refused.stdout).not.toMatch(/licensed to/);
    expect(await ok('a', 'library')).toMatch(/cli-hello\s+moved/);

    expect(await ok('b', 'sync')).toMatch(/arrived here: cli-hello/);
    await ok('b', 'install', 'cli-hello');
    const runB = await ok('b', 'run', 'cli-hello');
    expect(runB).toMatch(/CLI Hello — licensed to/);
    const deviceB = JSON.parse(await ok('b', 'status', '--json')).device.shortId as string;
    expect(runB).toContain(`on device ${deviceB}`);

    const history = JSON.parse(await ok('a', 'transfers', '--json')) as unknown[];
    expect(history).toHaveLength(1);

    // B holds the copy now, so B cannot be retired; A, empty, can.
    const busy = await keyport('a', 'retire', 'Laptop B');
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/Transfer it away first/);
    expect(await ok('b', 'retire', 'Laptop A')).toMatch(/Retired "Laptop A"\. 1 device\(s\) remain/);
    expect(await ok('a', 'status')).toMatch(/not enrolled/);
    await ok('a', 'enrol', '--name', 'Laptop A'); // a retired device can be enrolled again
  }, 120_000); // some thirty processes, each starting Node and tsx: slow on a loaded machine

  it('answers bad usage and problems with a sentence and a non-zero exit', async () => {
    const unknown = await keyport('a', 'frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    const missing = await keyport('a', 'buy', 'no-such-program');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/keyport: The store does not have that item/);
    const noSource = await keyport('a', 'recover');
    expect(noSource.code).toBe(2);
    expect(noSource.stderr).toMatch(/--from is required/);
    const json = await keyport('a', 'install', 'no-such-program', '--json');
    expect(JSON.parse(json.stdout).error.code).toBe('NOT_REGISTERED');
  });
});
