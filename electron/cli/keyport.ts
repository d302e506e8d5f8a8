/**
 * `keyport`: the desktop app's core from a terminal, for headless machines and scripts.
 * Same profiles, keychain and flows as the app; `--json` prints machine-readable output.
 *
 *   keyport login --email you@example.com        (password from KEYPORT_PASSWORD or a prompt)
 *   keyport enrol --name "Work laptop"
 *   keyport buy ascii-mandelbrot && keyport install ascii-mandelbrot && keyport run ascii-mandelbrot
 *   keyport transfer ascii-mandelbrot --to "New laptop"
 *   keyport recover --from "Desk PC"             (after a hardware change: move all its programs here)
 */
import { createInterface } from 'node:readline';
import type { DeviceSummary, LibraryItem } from '../../shared/app-api/app-api.ts';
import { AppError, toAppError } from '../../shared/app-api/app-errors.ts';
import { APP_OPTION_SPEC, APP_OPTIONS_USAGE, appOptionsFrom } from '../core/app-options.ts';
import { createKeyportCore, type KeyportCore } from '../core/keyport-core.ts';
import { readCommandLine, reportUsageError, UsageError } from '../../shared/command-line.ts';
import { formatBytes, formatPrice, TERMINAL_BYTES } from '../../shared/format.ts';
import {
  deviceLine,
  GENERATED_ID_NOTE,
  idSourceLine,
  limitRecognitionOffer,
  recognitionOffer,
  recoveryDone,
} from './device-text.ts';
import { createProgressReporter } from './progress-bar.ts';

const USAGE = `Usage: keyport <command> [arguments] [options]

Commands:
  open [--no-open]                start the app and open its window (what the "Keyport" menu entry
                                  runs); a second start opens the running app's window
  status                          who is signed in, this device, the provider
  signup --email E --name N       create an account (password from KEYPORT_PASSWORD or a prompt)
  login --email E                 sign in (password from KEYPORT_PASSWORD or a prompt)
  logout
  enrol [--name N]                enrol this device to your account; says so if it looks like one of
                                  your devices after a hardware change
  devices                         your devices and what is registered to each
  retire DEVICE                   retire a device with nothing registered to it (name or ID prefix)
  recover --from DEVICE           move every program of DEVICE (this machine before a hardware change)
                                  here in one step, then retire DEVICE (its name, short ID or ID);
                                  enrols this device in DEVICE's place if needed, even at the limit
  catalog [--search Q]            the store
  buy SOFTWARE                    buy for this device
  library                         your copies and where they are
  install SOFTWARE                download, verify, install and license it here
  run SOFTWARE                    check the license, then run it (exit code is the program's)
  uninstall SOFTWARE
  transfer SOFTWARE --to DEVICE [--from DEVICE]
                                  move a copy between your devices (DEVICE: name or ID prefix)
  transfers                       transfer history
  sync                            reconcile with the store: arrivals, departures, leases

Options:
${APP_OPTIONS_USAGE}
  --json                  print JSON instead of text
  --no-open               (open) print the app's address instead of opening a window
  --help`;

const OPTIONS = {
  ...APP_OPTION_SPEC,
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
  email: { type: 'string' },
  password: { type: 'string' },
  name: { type: 'string' },
  search: { type: 'string' },
  to: { type: 'string' },
  from: { type: 'string' },
  'no-open': { type: 'boolean', default: false },
} as const;

type Values = NonNullable<ReturnType<typeof readCommandLine<typeof OPTIONS>>>['values'];

async function main(argv: string[]): Promise<number> {
  const cli = readCommandLine('keyport', USAGE, OPTIONS, { args: argv, positionals: true });
  if (!cli) return 0; // --help
  const { values, positionals } = cli;
  const [command, ...rest] = positionals;
  if (command === undefined || command === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (command === 'open') {
    // The app owns its core (and its lifetime); loaded only here, so other commands start fast.
    const { runDesktopApp } = await import('../web-shell/desktop-app.ts');
    return runDesktopApp({ appOptions: appOptionsFrom(values), open: !values['no-open'] });
  }
  if (!COMMANDS[command]) throw new UsageError(`unknown command "${command}"`);
  const core = await createKeyportCore(appOptionsFrom(values), { syncIntervalMs: 0, program: 'cli' });
  try {
    return await COMMANDS[command]({ core, values, args: rest });
  } finally {
    await core.close();
  }
}

interface Invocation {
  core: KeyportCore;
  values: Values;
  args: string[];
}

function print(values: Values, json: unknown, text: string): void {
  console.log(values.json ? JSON.stringify(json, null, 2) : text);
}

function softwareArgument(args: string[]): string {
  const [softwareId] = args;
  if (!softwareId) throw new UsageError('name the software, e.g. keyport install ascii-mandelbrot');
  return softwareId;
}

async function password(): Promise<string> {
  if (process.env.KEYPORT_PASSWORD) return process.env.KEYPORT_PASSWORD;
  if (!process.stdin.isTTY)
    throw new UsageError('set KEYPORT_PASSWORD, or run this in a terminal to be asked');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Hide what is typed: readline echoes through _writeToOutput, which is silenced here.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
  process.stderr.write('Password: ');
  const answer = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stderr.write('\n');
  return answer;
}

function requireOption(value: string | undefined, name: string): string {
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

/** A device named by the user: exact name, or a prefix of its ID. */
function findDevice(devices: DeviceSummary[], reference: string): DeviceSummary {
  const matches = devices.filter(
    (device) =>
      device.name.toLowerCase() === reference.toLowerCase() ||
      device.deviceId.startsWith(reference.toLowerCase()),
  );
  if (matches.length === 1) return matches[0]!;
  const known = devices.map((device) => `"${device.name}" (${device.deviceId.slice(0, 12)})`).join(', ');
  throw new AppError(
    'BAD_INPUT',
    matches.length === 0
      ? `No device of yours is called "${reference}". Your devices: ${known}.`
      : `"${reference}" matches more than one device; use more of its ID. Your devices: ${known}.`,
  );
}

function libraryLine(item: LibraryItem): string {
  const where = item.registeredDeviceName ? ` on "${item.registeredDeviceName}"` : '';
  const version = item.installed ? ` v${item.installed.version}` : '';
  const problem = item.problem ? `  — ${item.problem}` : '';
  return `${item.softwareId.padEnd(22)} ${item.state.padEnd(16)}${version}${where}${problem}`;
}

const COMMANDS: Record<string, (invocation: Invocation) => Promise<number>> = {
  async status({ core, values }) {
    const status = await core.getStatus();
    const { device } = status;
    print(
      values,
      status,
      [
        `Provider:  ${status.providerUrl}`,
        `Account:   ${status.user ? `${status.user.displayName} <${status.user.email}>` : 'not signed in'}`,
        `Device:    ${device.name} (${device.shortId})${device.enrolled ? ', enrolled' : ', not enrolled'}` +
          `${device.simulatedAs ? `, simulated as "${device.simulatedAs}"` : ''}`,
        `ID from:   ${idSourceLine(device)}`,
        `Secrets:   ${status.secretStore.description}`,
        `Profile:   ${status.profileDir}`,
        ...(status.dataDir !== status.profileDir ? [`Data:      ${status.dataDir}`] : []),
      ].join('\n'),
    );
    return 0;
  },

  async signup({ core, values }) {
    const status = await core.createAccount({
      email: requireOption(values.email, 'email'),
      displayName: requireOption(values.name, 'name'),
      password: values.password ?? (await password()),
    });
    print(values, status, `Welcome, ${status.user?.displayName}. Next: keyport enrol`);
    return 0;
  },

  async login({ core, values }) {
    const status = await core.signIn({
      email: requireOption(values.email, 'email'),
      password: values.password ?? (await password()),
    });
    const next = status.device.enrolled ? '' : ' This device is not enrolled yet: keyport enrol';
    print(values, status, `Signed in as ${status.user?.displayName} <${status.user?.email}>.${next}`);
    return 0;
  },

  async logout({ core, values }) {
    print(values, await core.signOut(), 'Signed out.');
    return 0;
  },

  async enrol({ core, values }) {
    const status = await core.enrolDevice(values.name ? { name: values.name } : {}).catch(async (error) => {
      // At the device limit a recognised machine still enrols, by recovering the old device.
      const refused = toAppError(error);
      const recognised =
        refused.code === 'DEVICE_LIMIT' ? (await core.getStatus()).device.recognisedAs : null;
      if (!recognised) throw error;
      throw new AppError('DEVICE_LIMIT', `${refused.message}\n${limitRecognitionOffer(recognised)}`);
    });
    const { device } = status;
    print(
      values,
      status,
      [
        `This device is enrolled as "${device.name}" (${device.shortId}).`,
        ...(device.idSource === 'generated' ? [GENERATED_ID_NOTE] : []),
        ...(device.recognisedAs ? [recognitionOffer(device.recognisedAs)] : []),
      ].join('\n'),
    );
    return 0;
  },

  async devices({ core, values }) {
    const devices = await core.listDevices();
    const lines = devices.map(deviceLine);
    print(values, devices, lines.length ? lines.join('\n') : 'No devices enrolled yet: keyport enrol');
    return 0;
  },

  async retire({ core, values, args }) {
    const reference = args[0];
    if (!reference) throw new AppError('BAD_INPUT', 'Say which device to retire: keyport retire DEVICE');
    const device = findDevice(await core.listDevices(), reference);
    const left = await core.retireDevice({ deviceId: device.deviceId });
    print(values, left, `Retired "${device.name}". ${left.length} device(s) remain enrolled.`);
    return 0;
  },

  async recover({ core, values }) {
    const from = findDevice(await core.listDevices(), requireOption(values.from, 'from'));
    const outcome = await core.recoverDevice({ fromDeviceId: from.deviceId });
    print(values, outcome, recoveryDone(outcome));
    return 0;
  },

  async catalog({ core, values }) {
    const page = await core.browseCatalog(values.search ? { q: values.search } : {});
    const lines = page.items.map(
      (item) =>
        `${item.softwareId.padEnd(22)} ${formatPrice(item.priceCents, item.currency, 'plain').padEnd(10)} ` +
        `v${item.version.padEnd(8)} ${formatBytes(item.sizeBytes, TERMINAL_BYTES).padEnd(9)} ${item.name}`,
    );
    print(values, page, lines.length ? lines.join('\n') : 'Nothing in the store matches.');
    return 0;
  },

  async buy({ core, values, args }) {
    const purchase = await core.buy({ softwareId: softwareArgument(args) });
    const price = formatPrice(purchase.priceCents, purchase.currency, 'plain');
    print(
      values,
      purchase,
      `Bought ${purchase.softwareId} (${price}). Next: keyport install ${purchase.softwareId}`,
    );
    return 0;
  },

  async library({ core, values }) {
    const items = await core.getLibrary();
    print(
      values,
      items,
      items.length ? items.map(libraryLine).join('\n') : 'Your library is empty: keyport catalog',
    );
    return 0;
  },

  async install({ core, values, args }) {
    const softwareId = softwareArgument(args);
    const report = createProgressReporter(process.stderr);
    const unsubscribe = core.subscribe((event) => {
      if (event.name === 'install-progress' && event.payload.softwareId === softwareId && !values.json) {
        report(event.payload);
      }
    });
    // Ctrl-C cancels cleanly: nothing half-installed stays behind.
    const cancel = () => void core.cancelInstall({ softwareId });
    process.once('SIGINT', cancel);
    try {
      const item = await core.install({ softwareId });
      print(
        values,
        item,
        `Installed ${item.name} ${item.installed?.version ?? ''}. Run it: keyport run ${softwareId}`,
      );
      return 0;
    } finally {
      unsubscribe();
      process.off('SIGINT', cancel);
    }
  },

  async run({ core, values, args }) {
    const result = await core.run({ softwareId: softwareArgument(args) });
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else process.stdout.write(result.output);
    return result.exitCode ?? 1;
  },

  async uninstall({ core, values, args }) {
    const item = await core.uninstall({ softwareId: softwareArgument(args) });
    print(values, item, `Uninstalled ${item.name}.`);
    return 0;
  },

  async transfer({ core, values, args }) {
    const softwareId = softwareArgument(args);
    const devices = await core.listDevices();
    const destination = findDevice(devices, requireOption(values.to, 'to'));
    const source = values.from
      ? findDevice(devices, values.from)
      : devices.find((device) => device.software.includes(softwareId));
    if (!source)
      throw new AppError('NOT_REGISTERED', `${softwareId} is not registered to any of your devices.`);
    const outcome = await core.transfer({
      softwareId,
      sourceDeviceId: source.deviceId,
      destinationDeviceId: destination.deviceId,
    });
    const after = outcome.leftThisDevice
      ? ` It no longer runs on this device; free the space with: keyport uninstall ${softwareId}`
      : destination.isThisDevice
        ? ` Install it here: keyport install ${softwareId}`
        : '';
    print(values, outcome, `Moved ${softwareId} from "${source.name}" to "${destination.name}".${after}`);
    return 0;
  },

  async transfers({ core, values }) {
    const transfers = await core.listTransfers();
    const lines = transfers.map(
      (t) =>
        `${t.createdAt}  ${t.softwareId.padEnd(22)} ${t.sourceDeviceId.slice(0, 12)} -> ${t.destinationDeviceId.slice(0, 12)}`,
    );
    print(values, transfers, lines.length ? lines.join('\n') : 'No transfers yet.');
    return 0;
  },

  async sync({ core, values }) {
    const report = await core.sync();
    const parts = [
      report.arrivals.length ? `arrived here: ${report.arrivals.join(', ')}` : '',
      report.departures.length ? `moved away: ${report.departures.join(', ')}` : '',
      report.refreshed.length ? `leases renewed: ${report.refreshed.join(', ')}` : '',
    ].filter(Boolean);
    print(values, report, parts.length ? `Synced; ${parts.join('; ')}.` : 'Synced; nothing changed.');
    return 0;
  },
} satisfies Record<string, (invocation: Invocation) => Promise<number>>;

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      reportUsageError('keyport', USAGE, error);
      return;
    }
    const appError = toAppError(error);
    if (process.argv.includes('--json')) console.log(JSON.stringify({ error: appError.toJSON() }, null, 2));
    console.error(`keyport: ${appError.message}`);
    process.exitCode = 1;
  },
);
