/**
 * The options every front end of the app shares (Electron, web shell, CLI):
 * `--provider URL`, `--profile DIR`, `--simulate-device NAME`, `--insecure-secret-file`.
 *
 * A profile folder holds one "device" worth of state — installs, local state, logs —
 * and names the keychain namespace, so two profiles with two simulated devices can run
 * side by side on one machine (DESIGN §5).
 */
import { homedir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AppError } from '../../shared/app-api/app-errors.ts';

export const DEFAULT_PROVIDER_URL = 'http://127.0.0.1:8787';

export interface AppOptions {
  /** The provider's base URL, without a trailing slash. */
  providerUrl: string;
  /** Absolute path of the profile folder: local state, keychain namespace. */
  profileDir: string;
  /**
   * Absolute path of the folder for what is large and re-creatable: installed programs,
   * downloads, run logs. The profile folder itself when `--profile` is given; otherwise
   * the platform's data folder (on Linux `$XDG_DATA_HOME/keyport`, apart from the
   * settings in `$XDG_CONFIG_HOME/keyport`, as the XDG base directories ask).
   */
  dataDir: string;
  /** `--simulate-device NAME`: derive the device ID from NAME instead of the hardware. */
  simulateDevice: string | null;
  /** `--insecure-secret-file`: keep secrets in a 0600 file when no keychain answers. */
  insecureSecretFile: boolean;
}

/** Where the app keeps its settings and state by default, per the platform's conventions. */
export function defaultProfileDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (platform === 'win32')
    return path.join(env.APPDATA ?? path.join(homedir(), 'AppData', 'Roaming'), 'Keyport');
  if (platform === 'darwin') return path.join(homedir(), 'Library', 'Application Support', 'Keyport');
  return path.join(env.XDG_CONFIG_HOME || path.join(homedir(), '.config'), 'keyport');
}

/** Where the app keeps installs, downloads and logs by default (see `AppOptions.dataDir`). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (platform === 'win32' || platform === 'darwin') return defaultProfileDir(env, platform);
  return path.join(env.XDG_DATA_HOME || path.join(homedir(), '.local', 'share'), 'keyport');
}

export const APP_OPTION_SPEC = {
  provider: { type: 'string' },
  profile: { type: 'string' },
  'simulate-device': { type: 'string' },
  'insecure-secret-file': { type: 'boolean', default: false },
} as const;

export const APP_OPTIONS_USAGE = `  --provider URL          the Keyport provider (default KEYPORT_PROVIDER_URL or ${DEFAULT_PROVIDER_URL})
  --profile DIR           keep installs, state and keychain entries apart (default KEYPORT_PROFILE
                          or the platform's config folder)
  --simulate-device NAME  use a device ID derived from NAME, not this machine's own (demos, tests)
  --insecure-secret-file  if no OS keychain answers, keep license keys in a 0600 file in the profile`;

/** Read the shared options from already-parsed values (so each front end can add its own). */
export function appOptionsFrom(
  values: {
    provider?: string;
    profile?: string;
    'simulate-device'?: string;
    'insecure-secret-file'?: boolean;
  },
  env: NodeJS.ProcessEnv = process.env,
): AppOptions {
  const providerUrl = (values.provider ?? env.KEYPORT_PROVIDER_URL ?? DEFAULT_PROVIDER_URL).replace(
    /\/+$/,
    '',
  );
  let parsed: URL;
  try {
    parsed = new URL(providerUrl);
  } catch {
    throw new AppError(
      'BAD_INPUT',
      `--provider must be a URL such as ${DEFAULT_PROVIDER_URL}, not "${providerUrl}".`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AppError('BAD_INPUT', `--provider must be an http:// or https:// URL, not "${providerUrl}".`);
  }
  const simulate = values['simulate-device'] ?? env.KEYPORT_SIMULATE_DEVICE ?? null;
  if (simulate !== null && !/^[\w.-]{1,64}$/.test(simulate)) {
    throw new AppError(
      'BAD_INPUT',
      '--simulate-device takes a short name: letters, digits, ".", "-" and "_".',
    );
  }
  const chosenProfile = values.profile ?? env.KEYPORT_PROFILE;
  return {
    providerUrl,
    profileDir: path.resolve(chosenProfile ?? defaultProfileDir(env)),
    dataDir: path.resolve(chosenProfile ?? defaultDataDir(env)),
    simulateDevice: simulate,
    insecureSecretFile: values['insecure-secret-file'] ?? env.KEYPORT_INSECURE_SECRET_FILE === '1',
  };
}

/** Parse only the shared options out of argv, ignoring anything else (Electron adds its own). */
export function parseAppOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): AppOptions {
  const { values } = parseArgs({
    args: argv,
    options: APP_OPTION_SPEC,
    strict: false,
    allowPositionals: true,
  });
  return appOptionsFrom(
    {
      provider: typeof values.provider === 'string' ? values.provider : undefined,
      profile: typeof values.profile === 'string' ? values.profile : undefined,
      'simulate-device':
        typeof values['simulate-device'] === 'string' ? values['simulate-device'] : undefined,
      'insecure-secret-file': values['insecure-secret-file'] === true,
    },
    env,
  );
}
