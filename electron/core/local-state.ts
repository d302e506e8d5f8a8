/**
 * The app's local state for one profile: who is signed in, what this device knows about
 * each copy, the cached JWKS. Secrets are not here — they live in the SecretStore.
 *
 * Per copy it keeps the *authentication information* of S37: the device ID the key was
 * stored with, compared again before every launch (S51–S54).
 *
 * One JSON file, written atomically (temp file + rename) and one write at a time, so a
 * crash leaves either the old state or the new one, never half of each.
 */
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from './atomic-file.ts';
import { SerialQueue } from './serial-queue.ts';
import { z } from 'zod';
import { Jwks, User } from '../../shared/provider-api/schemas.ts';

export const LocalCopy = z.object({
  softwareId: z.string(),
  copyId: z.string().nullable(),
  name: z.string(),
  /** `moved`: this device was the source of a transfer (or sync saw the copy leave). */
  status: z.enum(['active', 'moved']),
  /** Authentication information (S37): the device ID the key was stored with. */
  authDeviceId: z.string().nullable(),
  licenseExpiresAt: z.string().nullable(),
  installed: z
    .object({ version: z.string(), installDir: z.string(), entry: z.string(), installedAt: z.string() })
    .nullable(),
  movedAt: z.string().nullable(),
  /**
   * Why the provider refused to renew the lease while the copy is still this device's
   * (DEVICE_CLONED): the key is kept and runs until its lease ends, and the library says why.
   */
  renewalRefused: z.string().optional(),
});
export type LocalCopy = z.infer<typeof LocalCopy>;

/** The device and the account a profile was made for (DESIGN §2): a profile belongs to one of each. */
export const ProfileOwner = z.object({
  deviceId: z.string(),
  /** The `--simulate-device` name, to name the device when another one opens the profile. */
  simulatedAs: z.string().nullable(),
  /** Recorded at the first sign-in (or adopted from the signed-in user of an older profile). */
  account: z.object({ userId: z.string(), email: z.string() }).nullable(),
});
export type ProfileOwner = z.infer<typeof ProfileOwner>;

export const LocalStateSchema = z.object({
  version: z.literal(1),
  /** Absent only in a profile from before owners were recorded: the first open adopts it. */
  owner: ProfileOwner.optional(),
  user: User.nullable(),
  /** Whether this device is enrolled to `user`, as last seen. */
  enrolled: z.boolean(),
  copies: z.record(z.string(), LocalCopy),
  jwks: Jwks.nullable(),
});
export type LocalState = z.infer<typeof LocalStateSchema>;

const EMPTY: LocalState = { version: 1, user: null, enrolled: false, copies: {}, jwks: null };

export class LocalStateStore {
  private state: LocalState = structuredClone(EMPTY);
  private readonly writes = new SerialQueue();

  private constructor(private readonly file: string) {}

  static async open(profileDir: string): Promise<LocalStateStore> {
    const store = new LocalStateStore(path.join(profileDir, 'state.json'));
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const parsed = LocalStateSchema.safeParse(safeJson(text));
    if (parsed.success) {
      this.state = parsed.data;
    } else {
      // A damaged state file must not brick the app: keep it aside and start clean; sync
      // rebuilds what the provider knows, and installed folders are found again on install.
      await rename(this.file, `${this.file}.damaged-${Date.now()}`);
    }
  }

  get current(): Readonly<LocalState> {
    return this.state;
  }

  copy(softwareId: string): LocalCopy | undefined {
    return this.state.copies[softwareId];
  }

  /** Change the state and persist it; changes are applied and written in call order. */
  update(change: (state: LocalState) => void): Promise<void> {
    change(this.state);
    const snapshot = JSON.stringify(this.state, null, 2);
    return this.writes.run(() => writeFileAtomically(this.file, snapshot));
  }

  updateCopy(softwareId: string, fallback: Omit<LocalCopy, 'softwareId'>, change: (copy: LocalCopy) => void) {
    return this.update((state) => {
      const copy = (state.copies[softwareId] ??= { softwareId, ...fallback });
      change(copy);
    });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
