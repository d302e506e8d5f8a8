/**
 * Where secrets live: license keys and the session token. The OS keychain (Keychain,
 * Credential Manager, Secret Service) through `@napi-rs/keyring`, namespaced per profile
 * so two profiles on one machine never see each other's keys.
 *
 * When no keychain answers, the app fails visibly with what to do; a plain-text file is
 * used only when the user opted in with `--insecure-secret-file` (DESIGN §5).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from './atomic-file.ts';
import { SerialQueue } from './serial-queue.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { AsyncEntry } from '@napi-rs/keyring';
import { AppError } from '../../shared/app-api/app-errors.ts';

export interface SecretStore {
  readonly kind: 'keychain' | 'insecure-file';
  readonly description: string;
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

/** The keychain service name of a profile: stable, and distinct per profile folder. */
export function keychainService(profileDir: string): string {
  const profileId = createHash('sha256').update(path.resolve(profileDir)).digest('hex').slice(0, 12);
  return `Keyport (${profileId})`;
}

class KeychainSecretStore implements SecretStore {
  readonly kind = 'keychain';
  constructor(
    private readonly service: string,
    readonly description: string,
  ) {}

  private entry(name: string): AsyncEntry {
    return new AsyncEntry(this.service, name);
  }
  async get(name: string): Promise<string | null> {
    return (await this.entry(name).getPassword()) ?? null;
  }
  async set(name: string, value: string): Promise<void> {
    await this.entry(name).setPassword(value);
  }
  async delete(name: string): Promise<void> {
    await this.entry(name).deletePassword();
  }
}

/** The opt-in fallback: one JSON file, mode 0600, written atomically. */
class FileSecretStore implements SecretStore {
  readonly kind = 'insecure-file';
  readonly description: string;
  private readonly writes = new SerialQueue();

  constructor(private readonly file: string) {
    this.description = `a plain file readable only by you (${file}), because --insecure-secret-file was given`;
  }

  private async read(): Promise<Record<string, string>> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as Record<string, string>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
  }
  private update(change: (secrets: Record<string, string>) => void): Promise<void> {
    return this.writes.run(async () => {
      const secrets = await this.read();
      change(secrets);
      await writeFileAtomically(this.file, JSON.stringify(secrets));
    });
  }
  async get(name: string): Promise<string | null> {
    await this.writes.idle();
    return (await this.read())[name] ?? null;
  }
  set(name: string, value: string): Promise<void> {
    return this.update((secrets) => {
      secrets[name] = value;
    });
  }
  delete(name: string): Promise<void> {
    return this.update((secrets) => {
      delete secrets[name];
    });
  }
}

/** Ask the keychain to store, read back and delete a probe: the only sure sign it works. */
async function probeKeychain(service: string): Promise<string | null> {
  const probe = new AsyncEntry(service, 'keyport-probe');
  const value = `probe-${process.pid}-${Date.now()}`;
  try {
    await probe.setPassword(value);
    const read = await probe.getPassword();
    await probe.deletePassword();
    return read === value ? null : 'it did not return what was stored';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export const KEYCHAIN_HELP =
  'Make sure your keychain is running and unlocked (on Linux: GNOME Keyring or KWallet in your ' +
  'desktop session), then start Keyport again. If this machine has no keychain, start Keyport with ' +
  '--insecure-secret-file to keep license keys in a file only your user can read.';

export async function openSecretStore(options: {
  profileDir: string;
  insecureSecretFile: boolean;
}): Promise<SecretStore> {
  const service = keychainService(options.profileDir);
  // A keychain daemon that is just starting (or busy with another process) can fail one
  // call; ask three times before telling the user it is not there.
  let failure = await probeKeychain(service);
  for (let attempt = 1; failure !== null && attempt < 3; attempt++) {
    await sleep(150 * attempt);
    failure = await probeKeychain(service);
  }
  if (failure === null) {
    return new KeychainSecretStore(service, `the OS keychain, under "${service}"`);
  }
  if (options.insecureSecretFile) {
    return new FileSecretStore(path.join(options.profileDir, 'secrets.insecure.json'));
  }
  throw new AppError('KEYCHAIN_UNAVAILABLE', `No OS keychain answered (${failure}). ${KEYCHAIN_HELP}`);
}
