/**
 * One "device" running the Keyport app the way `npm start` runs it without Electron: the
 * core (its own profile, keychain namespace and simulated device ID) behind the
 * web shell, serving the renderer build. A test opens `launchUrl` in its own browser
 * context, so two devices never share cookies or storage.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IdentityReaders } from '../../electron/core/device-identity.ts';
import { createKeyportCore, type KeyportCore } from '../../electron/core/keyport-core.ts';
import { testSecretStore } from '../../test-support/keychain.ts';
import { startWebShell } from '../../electron/web-shell/web-shell.ts';

export interface AppDevice {
  /** The simulated device name (`--simulate-device`), or the label of a made-up machine. */
  simulateAs: string;
  launchUrl: string;
  core: KeyportCore;
  close(): Promise<void>;
}

export function rendererDir(): string {
  const dir = process.env.KEYPORT_E2E_RENDERER_DIR;
  if (!dir) throw new Error('KEYPORT_E2E_RENDERER_DIR is not set: run the e2e tests with their config');
  return dir;
}

/**
 * A device simulated by name, or — with `readers` — one that reads a made-up machine (its
 * machine-id and hardware), so a test can reinstall an OS on the same hardware.
 */
export async function startAppDevice(
  providerUrl: string,
  simulateAs: string,
  readers?: IdentityReaders,
): Promise<AppDevice> {
  const profileDir = await mkdtemp(path.join(tmpdir(), `keyport-e2e-${simulateAs}-`));
  const core = await createKeyportCore(
    {
      providerUrl,
      profileDir,
      dataDir: profileDir,
      simulateDevice: readers ? null : simulateAs,
      insecureSecretFile: false,
    },
    { secretStore: await testSecretStore(profileDir), identityReaders: readers },
  );
  const shell = await startWebShell({ core, rendererDir: rendererDir() });
  return {
    simulateAs,
    launchUrl: shell.launchUrl,
    core,
    async close() {
      await shell.close();
      await core.close();
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}
