/**
 * The provider's command line for the device identity settings (`server/main.ts`):
 * `--component-match` and `--clone-policy` (and their environment variables) are listed
 * in --help, refused with one sentence when their value is not one of theirs, and reach
 * the running provider when it is.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, randomDeviceId } from '../../test-support/http-calls.ts';
import { hexOf, machineComponents, smallPackage } from '../../test-support/provider-harness.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'keyport-options-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

function providerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', ...extra };
  // SQLite under --data, and the admin token generated into it (the test reads it there).
  for (const name of [
    'DATABASE_URL',
    'KEYPORT_ADMIN_TOKEN',
    'KEYPORT_COMPONENT_MATCH',
    'KEYPORT_CLONE_POLICY',
  ]) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

/** Run the provider's command to its end: exit code and output. */
function runProvider(args: string[], env = providerEnv()) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('keyport-provider options for device identity', () => {
  it('lists --component-match and --clone-policy, with their variables, in --help', async () => {
    const { code, stdout } = await runProvider(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--component-match R .*most \(default/s);
    expect(stdout).toMatch(/--clone-policy P .*refuse \(default/s);
    expect(stdout).toContain('KEYPORT_COMPONENT_MATCH');
    expect(stdout).toContain('KEYPORT_CLONE_POLICY');
  });

  it.each([
    [
      ['--component-match', 'some'],
      {},
      '--component-match (or KEYPORT_COMPONENT_MATCH) must be one of most, two, all, off, not "some"',
    ],
    [
      ['--clone-policy', 'warn'],
      {},
      '--clone-policy (or KEYPORT_CLONE_POLICY) must be one of refuse, flag, not "warn"',
    ],
    [[], { KEYPORT_COMPONENT_MATCH: 'MOST' }, 'must be one of most, two, all, off, not "MOST"'],
    [[], { KEYPORT_CLONE_POLICY: 'off' }, 'must be one of refuse, flag, not "off"'],
  ])('refuses %j %j with one sentence (exit 2)', async (args, env, sentence) => {
    const { code, stderr } = await runProvider(['--data', dataDir, '--port', '0', ...args], providerEnv(env));
    expect(code).toBe(2);
    expect(stderr).toContain(sentence);
  });

  it('hands valid values to the provider it starts', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'server/main.ts', '--data', dataDir, '--port', '0', '--component-match', 'off'],
      {
        cwd: REPO_ROOT,
        env: providerEnv({ KEYPORT_CLONE_POLICY: 'flag' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(out);
          if (match) resolve(match[1]!);
        });
        child.on('exit', (code) => reject(new Error(`the provider exited (${code}) before listening`)));
      });
      const account = await call(url, 'POST', '/v1/accounts', {
        body: { email: 'options@example.test', password: 'a long password', displayName: 'Options' },
      });
      const token = account.body.token as string;
      const components = machineComponents('options-desk');
      const enrolled: Array<{ deviceId: string; recognisedAs: unknown }> = [];
      for (let i = 0; i < 2; i++) {
        const deviceId = randomDeviceId();
        const answer = await call(url, 'POST', '/v1/devices', {
          token,
          body: { deviceId, name: `Desk ${i}`, platform: 'linux', components },
        });
        expect(answer.status).toBe(201);
        enrolled.push({ deviceId, recognisedAs: answer.body.recognisedAs });
      }
      // componentMatch off: identical components recognise nothing.
      expect(enrolled[1]!.recognisedAs).toBeNull();
      // clonePolicy flag: two installations alternating on one device ID are flagged, and
      // both still renew their license (under refuse the later one would get 409).
      const deviceId = enrolled[0]!.deviceId;
      const adminToken = (await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim();
      const created = await call(url, 'POST', '/v1/admin/software', {
        token: adminToken,
        body: { softwareId: 'options-app', name: 'Options', summary: '', priceCents: 0, currency: 'USD' },
      });
      expect(created.status).toBe(201);
      const published = await fetch(`${url}/v1/admin/software/options-app/releases`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/gzip' },
        body: await smallPackage(),
      });
      expect(published.status).toBe(201);
      const bought = await call(url, 'POST', '/v1/purchases', {
        token,
        body: { softwareId: 'options-app', deviceId },
      });
      expect(bought.status).toBe(201);
      const statuses: number[] = [];
      for (const installation of ['a', 'b', 'a', 'b', 'a']) {
        const answer = await call(url, 'POST', '/v1/licenses/refresh', {
          token,
          body: { softwareId: 'options-app', deviceId, installationId: hexOf(`options-${installation}`) },
        });
        statuses.push(answer.status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200]);
      const devices = await call(url, 'GET', '/v1/devices', { token });
      expect(devices.body.devices.find((d: { deviceId: string }) => d.deviceId === deviceId).flags).toEqual([
        'in-use-on-two-machines',
      ]);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
