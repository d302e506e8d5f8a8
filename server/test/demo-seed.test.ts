/**
 * `--seed-demo`: the demo account signs in, its second device is registered, and the
 * demo programs are real: bought, downloaded, unpacked and run, they verify their own
 * license and print who and which device they are licensed to — and refuse to start
 * without a valid one, including one signed with the provider's keys under another issuer.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { extract } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedDeviceId } from '../../shared/license/device-id.ts';
import type { LicenseClaims } from '../../shared/license/license.ts';
import { DEMO_ACCOUNT, DEMO_CATALOG, DEMO_SECOND_DEVICE, seedDemo } from '../seed/demo.ts';
import {
  license,
  randomDeviceId,
  startProvider,
  type TestProvider,
} from '../../test-support/provider-harness.ts';

const run = promisify(execFile);

async function runProgram(entry: string, env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, [entry], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('demo seed', () => {
  let provider: TestProvider;
  let unpacked: string;
  beforeAll(async () => {
    provider = await startProvider();
    await seedDemo(provider.app.keyport);
    await seedDemo(provider.app.keyport); // a second start with --seed-demo changes nothing
    unpacked = await mkdtemp(path.join(tmpdir(), 'keyport-demo-run-'));
  });
  afterAll(async () => {
    await provider.close();
    await rm(unpacked, { recursive: true, force: true });
  });

  it('lists at least three programs, once each', async () => {
    const catalog = await provider.api('GET', '/v1/catalog');
    const ids = catalog.body.items.map((item: { softwareId: string }) => item.softwareId).sort();
    expect(ids).toEqual(DEMO_CATALOG.map((p) => p.softwareId).sort());
    expect(ids.length).toBeGreaterThanOrEqual(3);
  });

  it('gives the demo account its second device, as a retailer would', async () => {
    const session = await provider.api('POST', '/v1/sessions', {
      body: { email: DEMO_ACCOUNT.email, password: DEMO_ACCOUNT.password },
    });
    expect(session.status).toBe(201);
    const devices = await provider.api('GET', '/v1/devices', { token: session.body.token });
    expect(devices.body.devices).toEqual([
      expect.objectContaining({
        deviceId: simulatedDeviceId(DEMO_SECOND_DEVICE.simulate),
        name: DEMO_SECOND_DEVICE.name,
      }),
    ]);
  });

  it.each(DEMO_CATALOG.map((p) => p.softwareId))(
    '%s runs with its license and refuses without one, a forged one, or another issuer’s',
    async (softwareId) => {
      const session = await provider.api('POST', '/v1/sessions', {
        body: { email: DEMO_ACCOUNT.email, password: DEMO_ACCOUNT.password },
      });
      const token = session.body.token;
      const deviceId = randomDeviceId();
      await provider.api('POST', '/v1/devices', {
        token,
        body: { deviceId, name: 'This PC', platform: 'linux' },
      });
      const bought = await provider.api('POST', '/v1/purchases', { token, body: { softwareId, deviceId } });
      expect(bought.status).toBe(201);
      const download = await provider.api('GET', `/v1/downloads/${softwareId}?deviceId=${deviceId}`, {
        token,
      });
      expect(download.status).toBe(200);
      const dir = path.join(unpacked, softwareId);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const archive = path.join(unpacked, `${softwareId}.tar.gz`);
      await writeFile(archive, download.body as Buffer);
      await extract({ file: archive, cwd: dir });
      const entry = path.join(dir, 'main.mjs');

      const { licenseKey, claims } = await license(provider, token, softwareId, deviceId);
      const ok = await runProgram(entry, { KEYPORT_LICENSE: licenseKey, KEYPORT_DEVICE_ID: deviceId });
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain(`licensed to ${String(claims.usr)} on device ${deviceId.slice(0, 12)}`);

      const missing = await runProgram(entry, {});
      expect(missing.code).toBe(3);
      expect(missing.stderr).toMatch(/needs a Keyport license/);

      const [header, payload, signature] = licenseKey.split('.');
      const forged = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      forged.dev = randomDeviceId();
      const tampered = `${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`;
      const bad = await runProgram(entry, { KEYPORT_LICENSE: tampered });
      expect(bad.code).toBe(3);
      expect(bad.stderr).toMatch(/refuses to start.*BAD_SIGNATURE/);

      const otherDevice = await runProgram(entry, {
        KEYPORT_LICENSE: licenseKey,
        KEYPORT_DEVICE_ID: randomDeviceId(),
      });
      expect(otherDevice.code).toBe(3);
      expect(otherDevice.stderr).toMatch(/WRONG_DEVICE/);

      // The provider's own signing key, but another `iss` (its data under `--issuer evil-issuer`):
      // the program knows its provider's issuer from the JWKS it ships, and refuses.
      expect(JSON.parse(await readFile(path.join(dir, 'jwks.json'), 'utf8')).issuer).toBe('keyport');
      const evil = await provider.app.keyport.signer.sign({
        ...(claims as unknown as LicenseClaims),
        iss: 'evil-issuer',
      });
      const wrongIssuer = await runProgram(entry, { KEYPORT_LICENSE: evil, KEYPORT_DEVICE_ID: deviceId });
      expect(wrongIssuer.code).toBe(3);
      expect(wrongIssuer.stdout).toBe('');
      expect(wrongIssuer.stderr).toMatch(
        /refuses to start: the license is not valid \(WRONG_ISSUER: the license was issued by "evil-issuer", not by "keyport"\)/,
      );
    },
  );
});
