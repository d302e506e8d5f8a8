/**
 * `npm run test:package`: the Linux packages, built and used as a newcomer would, on a
 * clean Debian 12 root with no Node and no checkout.
 *
 *  1. build both packages (this tree; also the same files as an older version, to upgrade from)
 *  2. `dpkg -i` the older version into a fresh copy of the clean root
 *  3. start the provider as keyport-provider.service's ExecStart would (as its user, with
 *     its environment file; systemd does not run in a chroot)
 *  4. the two-device story with the installed `keyport` as a normal user, keys in a real
 *     Secret Service: sign up, enrol, buy, install, run, move, the source refused, the
 *     destination installs and runs
 *  5. the menu entry's command (`Exec=` of keyport.desktop) starts the app; a screenshot of
 *     its library in Chromium; a second start reuses the running app
 *  6. upgrade in place to this version: settings, data, account and the installed program survive
 *  7. `dpkg -r` leaves no file of either package (only the provider's settings and data,
 *     as Debian keeps them); `dpkg --purge` removes those too
 *
 * Needs root (chroot, mount), debootstrap and dpkg; the clean root is cached per machine.
 */
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { buildPackages } from '../build-packages.ts';
import { CACHE_DIR, REPO_ROOT, repoPackageJson } from '../paths.ts';
import { waitForOutput } from '../child-output.ts';
import { CleanRoot, ensureCleanRoot, type RunOptions } from '../clean-root.ts';
import { keychainUnavailable, startUserKeychain, type UserKeychain } from './user-keychain.ts';

const CHROMIUM = process.env.KEYPORT_TEST_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOT = path.join(REPO_ROOT, 'docs', 'screenshots', 'installed-app-library.png');
const USER = 'ada';
const USER_ID = 1500;
const PROVIDER_PORT = 18_000 + Math.floor(Math.random() * 2000);
const PROVIDER = `http://127.0.0.1:${PROVIDER_PORT}`;
/** Device B keeps its own profile; device A uses the XDG default folders. */
const LAPTOP = ['--profile', `/home/${USER}/laptop-profile`, '--simulate-device', 'laptop'];
const DESK = ['--simulate-device', 'desk'];

const began = Date.now();
let stepBegan = began;
function step(message: string): void {
  const now = Date.now();
  console.log(
    `test:package [${((now - began) / 1000).toFixed(1)} s, last step ${((now - stepBegan) / 1000).toFixed(1)} s] ${message}`,
  );
  stepBegan = now;
}

/** `KEY=value` lines of a systemd environment file (comments and blanks skipped). */
function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1]!] = match[2]!.trim();
  }
  return env;
}

/** One `Key=value` of a unit or desktop file. */
function field(text: string, key: string): string {
  const match = new RegExp(`^${key}=(.*)$`, 'm').exec(text);
  assert.ok(match, `no ${key}= line`);
  return match[1]!.trim();
}

/** Why this machine cannot run the test, or null. */
function cannotRun(): string | null {
  if (process.platform !== 'linux') return 'it needs Linux';
  if (process.getuid?.() !== 0)
    return 'it needs root (chroot, mount, dpkg into a root): sudo npm run test:package';
  for (const tool of ['/usr/sbin/debootstrap', '/usr/bin/dpkg-deb', '/usr/sbin/chroot'])
    if (!existsSync(tool)) return `${tool} is missing: apt-get install debootstrap`;
  return null;
}

async function main(): Promise<void> {
  const reason = cannotRun();
  if (reason) {
    // Under CI a skip would hide a broken package: there it is a failure.
    if (process.env.CI) throw new Error(`cannot run under CI: ${reason}`);
    console.log(`test:package: skipped, ${reason}`);
    return;
  }
  const version = repoPackageJson().version;
  // Debian orders "~" before anything: 0.1.0~previous < 0.1.0.
  const previous = `${version}~previous`;

  const [pristine, packages] = await Promise.all([
    ensureCleanRoot(step),
    buildPackages({
      versions: [previous, version],
      fast: true,
      outDir: path.join(CACHE_DIR, 'test-packages'),
    }),
  ]);
  step(`built keyport and keyport-provider ${version} (and ${previous} to upgrade from)`);

  const root = await CleanRoot.create(pristine, path.join(CACHE_DIR, 'test-root'));
  let keychain: UserKeychain | null = null;
  try {
    const noNode = root.run(
      ['sh', '-c', 'command -v node || command -v nodejs || ls /usr/lib/node_modules'],
      {
        check: false,
      },
    );
    assert.notEqual(noNode.status, 0, `the clean root already has Node: ${noNode.stdout}`);

    // 2. Install the older version, as a user would: dpkg -i of the two files.
    const copyIn = (name: 'keyport' | 'keyport-provider', v: string) => root.copyIn(packages[name][v]!);
    root.run(['dpkg', '-i', await copyIn('keyport-provider', previous), await copyIn('keyport', previous)]);
    step(`dpkg -i keyport and keyport-provider ${previous} into a clean root with no Node`);

    const data = await stat(root.path('var/lib/keyport-provider'));
    assert.equal(data.mode & 0o777, 0o700, '/var/lib/keyport-provider is 0700');
    assert.equal(
      data.uid,
      Number(root.run(['id', '-u', 'keyport-provider']).stdout.trim()),
      'owned by the service user',
    );
    assert.match(
      root.run(['getent', 'passwd', 'keyport-provider']).stdout,
      /nologin/,
      'a system user without a shell',
    );
    const settings = await stat(root.path('etc/keyport-provider/provider.env'));
    assert.equal(settings.mode & 0o777, 0o640, 'the settings (which may hold a database password) are 0640');

    // 3. The provider, as the unit starts it.
    const unit = await readFile(root.path('lib/systemd/system/keyport-provider.service'), 'utf8');
    const startProvider = async (): Promise<ChildProcess> => {
      const environment = parseEnvironmentFile(
        await readFile(root.path(field(unit, 'EnvironmentFile')), 'utf8'),
      );
      // A drop-in would do the same: another port (this machine's 8787 may be taken) and the demo catalog.
      const env = {
        ...environment,
        KEYPORT_PORT: String(PROVIDER_PORT),
        KEYPORT_SEED_DEMO: '1',
        LOG_LEVEL: 'warn',
      };
      const child = root.start(field(unit, 'ExecStart').split(/\s+/), { user: field(unit, 'User'), env });
      await waitForOutput(child, /listening on (http:\/\/\S+)/, 'keyport-provider');
      return child;
    };
    let provider = await startProvider();
    step(`keyport-provider runs as its unit says (User=${field(unit, 'User')}, ${field(unit, 'ExecStart')})`);

    // 4. The story, as a normal user of the machine with a real keychain.
    root.run([
      'useradd',
      '--create-home',
      '--uid',
      String(USER_ID),
      '--user-group',
      '--shell',
      '/bin/sh',
      USER,
    ]);
    const unavailable = keychainUnavailable();
    const env: Record<string, string> = {
      KEYPORT_PROVIDER_URL: PROVIDER,
      KEYPORT_PASSWORD: 'correct horse battery',
    };
    let secretsArgs: string[] = [];
    if (unavailable) {
      console.log(`test:package: no Secret Service here (${unavailable}); keys go to a 0600 file instead`);
      secretsArgs = ['--insecure-secret-file'];
    } else {
      keychain = await startUserKeychain(
        { name: USER, uid: USER_ID, gid: USER_ID },
        await mkdtemp(path.join(tmpdir(), 'keyport-keyring-')),
      );
      await root.bindFile(keychain.socket);
      env.DBUS_SESSION_BUS_ADDRESS = keychain.address;
    }
    const keyport = (args: string[], options: Omit<RunOptions, 'user' | 'env'> = {}) =>
      root.run(['keyport', ...args, ...secretsArgs], { user: USER, env, ...options });
    /** `keyport run SOFTWARE` on a device: it must start and print its license line. */
    const runs = (device: string[], licensed: RegExp, what: string) => {
      const ran = keyport(['run', 'ascii-mandelbrot', ...device], { check: false });
      assert.match(ran.stdout, licensed, `${what}:\n${ran.stdout.slice(0, 300)}${ran.stderr}`);
    };

    keyport(['signup', '--email', 'ada@example.com', '--name', 'Ada', ...DESK]);
    keyport(['enrol', '--name', 'Desk PC', ...DESK]);
    const status = keyport(['status', ...DESK]).stdout;
    assert.match(status, unavailable ? /plain file/ : /keychain/i, `secrets in the keychain:\n${status}`);
    assert.match(
      status,
      new RegExp(`Profile: +/home/${USER}/\\.config/keyport`),
      'settings in XDG_CONFIG_HOME',
    );
    assert.match(
      status,
      new RegExp(`Data: +/home/${USER}/\\.local/share/keyport`),
      'installs in XDG_DATA_HOME',
    );
    keyport(['buy', 'ascii-mandelbrot', ...DESK]);
    keyport(['install', 'ascii-mandelbrot', ...DESK]);
    const deskId = /\(([0-9a-f]{12})\)/.exec(status)![1]!;
    runs(DESK, new RegExp(`licensed to usr_\\S+ on device ${deskId}`), 'it runs, licensed to this device');
    assert.ok(
      existsSync(root.path(`home/${USER}/.local/share/keyport/apps/ascii-mandelbrot`)),
      'installed under XDG_DATA_HOME',
    );
    step('signed up, enrolled, bought, installed and ran ascii-mandelbrot with the installed keyport');

    // 5. The menu entry's command, and a screenshot of the window it serves.
    const desktopEntry = await readFile(root.path('usr/share/applications/keyport.desktop'), 'utf8');
    const exec = field(desktopEntry, 'Exec').split(/\s+/);
    assert.ok(existsSync(root.path('usr/share/icons/hicolor/scalable/apps/keyport.svg')), 'the SVG icon');
    assert.ok(existsSync(root.path('usr/share/icons/hicolor/256x256/apps/keyport.png')), 'a PNG icon');
    const app = root.start([...exec, ...DESK, ...secretsArgs], {
      user: USER,
      env: { ...env, HOME: `/home/${USER}` },
    });
    const launchUrl = await waitForOutput(app, /(http:\/\/127\.0\.0\.1:\d+\/#secret=[\w-]+)/, 'keyport open');
    const again = keyport(['open', '--no-open', ...DESK]).stdout;
    assert.match(again, /already running/, `a second start reuses the running app:\n${again}`);
    assert.ok(again.includes(launchUrl), 'and names the running app’s address');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
      await page.goto(launchUrl);
      await page.getByRole('heading', { name: 'Library' }).waitFor({ timeout: 20_000 });
      await page.getByText('ASCII Mandelbrot').first().waitFor({ timeout: 20_000 });
      await page.screenshot({ path: SCREENSHOT });
    } finally {
      await browser.close();
    }
    app.kill('SIGTERM');
    await new Promise((resolve) => app.once('exit', resolve));
    assert.ok(
      !existsSync(root.path(`home/${USER}/.config/keyport/app-instance.json`)),
      'a stopped app leaves no instance record',
    );
    step(
      `the menu entry's command (${exec.join(' ')}) served the library; screenshot ${path.relative(REPO_ROOT, SCREENSHOT)}`,
    );

    // The move, and both sides of it.
    keyport(['login', '--email', 'ada@example.com', ...LAPTOP]);
    keyport(['enrol', '--name', 'New laptop', ...LAPTOP]);
    const laptopId = /\(([0-9a-f]{12})\)/.exec(keyport(['status', ...LAPTOP]).stdout)![1]!;
    const runsOnLaptop = new RegExp(`licensed to usr_\\S+ on device ${laptopId}`);
    keyport(['transfer', 'ascii-mandelbrot', '--to', 'New laptop', ...DESK]);
    const refused = keyport(['run', 'ascii-mandelbrot', ...DESK], { check: false });
    assert.notEqual(refused.status, 0, 'the source can no longer run it');
    assert.match(
      refused.stderr,
      /moved|another device|no longer/i,
      `the source is told why:\n${refused.stderr}`,
    );
    keyport(['sync', ...LAPTOP]);
    keyport(['install', 'ascii-mandelbrot', ...LAPTOP]);
    runs(LAPTOP, runsOnLaptop, 'the destination runs it');
    step('moved it to the laptop: the desk is refused, the laptop installs and runs it');

    // 6. Upgrade in place.
    const settingsBefore = await readFile(root.path('etc/keyport-provider/provider.env'), 'utf8');
    provider.kill('SIGTERM');
    await new Promise((resolve) => provider.once('exit', resolve));
    root.run(['dpkg', '-i', await copyIn('keyport-provider', version), await copyIn('keyport', version)]);
    const installed = root.run([
      'dpkg-query',
      '-W',
      '-f=${Package} ${Version}\\n',
      'keyport',
      'keyport-provider',
    ]).stdout;
    assert.match(installed, new RegExp(`keyport ${version.replaceAll('.', '\\.')}\\n`), installed);
    assert.equal(
      await readFile(root.path('etc/keyport-provider/provider.env'), 'utf8'),
      settingsBefore,
      'settings kept',
    );
    assert.ok(existsSync(root.path('var/lib/keyport-provider/keyport.sqlite')), 'the database survived');
    provider = await startProvider();
    runs(LAPTOP, runsOnLaptop, 'the installed program still runs');
    assert.match(
      keyport(['library', ...DESK]).stdout,
      /ascii-mandelbrot/,
      'the account and its copy survived',
    );
    step(`upgraded ${previous} → ${version} in place: settings, database, account and program survived`);

    // 7. Remove, then purge.
    provider.kill('SIGTERM');
    await new Promise((resolve) => provider.once('exit', resolve));
    const files = (name: string) =>
      root
        .run(['dpkg-query', '-L', name])
        .stdout.split('\n')
        .filter((line) => line.startsWith('/'));
    const owned = [...files('keyport'), ...files('keyport-provider')];
    root.run(['dpkg', '-r', 'keyport', 'keyport-provider']);
    const kept = new Set(['/etc/keyport-provider/provider.env']);
    const left = [];
    for (const file of owned) {
      const full = root.path(file);
      if (kept.has(file) || !existsSync(full)) continue;
      // Folders shared with the system (/usr/bin, /usr/share/icons/hicolor …) stay.
      if ((await stat(full)).isDirectory() && !file.startsWith('/opt/keyport')) continue;
      left.push(file);
    }
    assert.deepEqual(left, [], 'dpkg -r leaves no file of the packages behind');
    assert.ok(existsSync(root.path('var/lib/keyport-provider/keyport.sqlite')), 'removing keeps the data');
    assert.ok(
      existsSync(root.path(`home/${USER}/.config/keyport/state.json`)),
      "the user's own data is never touched",
    );
    root.run(['dpkg', '--purge', 'keyport-provider', 'keyport']);
    assert.ok(!existsSync(root.path('var/lib/keyport-provider')), 'purging removes the data');
    assert.ok(!existsSync(root.path('etc/keyport-provider')), 'and the settings');
    assert.notEqual(
      root.run(['getent', 'passwd', 'keyport-provider'], { check: false }).status,
      0,
      'and the user',
    );
    step('dpkg -r left only the settings and data; dpkg --purge removed them');
  } finally {
    await keychain?.close();
    await root.close();
  }
  console.log(`test:package: passed in ${((Date.now() - began) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(
    `test:package failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
});
