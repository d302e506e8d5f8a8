/**
 * `npm run package`: the Linux packages, into dist/.
 *
 *   keyport_<version>_amd64.deb           the desktop app (`keyport open`, the menu entry) and the CLI
 *   keyport-provider_<version>_amd64.deb  the provider as a systemd service
 *
 * Each bundles Node (pinned in packaging/node-runtime) and its JavaScript (esbuild), plus
 * only the native modules it needs. Options: `--version V` (another package version; the
 * upgrade test builds an older one from the same files), `--out DIR`, `--fast` (lighter
 * compression, for test packages that are thrown away), `--only keyport|keyport-provider`.
 */
import { cp, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCommandLine } from '../shared/command-line.ts';
import { bundleApp, bundleProvider } from './bundles.ts';
import { buildDeb } from './deb.ts';
import { HICOLOR_SIZES, makeIcons, type Icons } from './icons.ts';
import { copyKeyringModule, copySqliteModule } from './native-modules.ts';
import { ensureNodeRuntime, type NodeRuntime } from './node-runtime.ts';
import { DIST_DIR, PACKAGING_DIR, repoPackageJson, step } from './paths.ts';

const DEBIAN_FILES = path.join(PACKAGING_DIR, 'debian');
/** The bundled Node needs glibc 2.28+ and the C++ runtime; everything else ships inside. */
const NODE_DEPENDS = ['libc6 (>= 2.28)', 'libstdc++6', 'libgcc-s1'];

export type PackageName = 'keyport' | 'keyport-provider';

export interface BuildOptions {
  /** Package versions to make from the one staged tree (default: package.json's). */
  versions?: string[];
  outDir?: string;
  fast?: boolean;
  only?: PackageName[];
}

async function copyRuntime(runtime: NodeRuntime, optDir: string): Promise<void> {
  await mkdir(path.join(optDir, 'bin'), { recursive: true });
  await cp(runtime.binary, path.join(optDir, 'bin', 'node'));
  await cp(path.join(runtime.root, 'LICENSE'), path.join(optDir, 'bin', 'node.LICENSE'));
}

async function copyright(root: string, name: string): Promise<void> {
  const doc = path.join(root, 'usr', 'share', 'doc', name);
  await mkdir(doc, { recursive: true });
  await writeFile(
    path.join(doc, 'copyright'),
    `Keyport — ${name}\nCopyright © Keyport. All rights reserved.\n\n` +
      'It ships Node.js (MIT; its licence is in bin/node.LICENSE under /opt/' +
      `${name}) and open-source JavaScript modules whose licences are at the end of lib/*.mjs.\n`,
  );
}

async function appPackage(root: string, runtime: NodeRuntime, icons: Icons): Promise<void> {
  const opt = path.join(root, 'opt', 'keyport');
  await copyRuntime(runtime, opt);
  await bundleApp(opt);
  await copyKeyringModule(path.join(opt, 'lib'));
  await mkdir(path.join(root, 'usr', 'bin'), { recursive: true });
  await cp(path.join(DEBIAN_FILES, 'keyport', 'keyport.sh'), path.join(root, 'usr', 'bin', 'keyport'));
  const applications = path.join(root, 'usr', 'share', 'applications');
  await mkdir(applications, { recursive: true });
  await cp(path.join(DEBIAN_FILES, 'keyport', 'keyport.desktop'), path.join(applications, 'keyport.desktop'));
  const hicolor = path.join(root, 'usr', 'share', 'icons', 'hicolor');
  await mkdir(path.join(hicolor, 'scalable', 'apps'), { recursive: true });
  await writeFile(path.join(hicolor, 'scalable', 'apps', 'keyport.svg'), icons.svg);
  for (const size of HICOLOR_SIZES) {
    const dir = path.join(hicolor, `${size}x${size}`, 'apps');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'keyport.png'), icons.png.get(size)!);
  }
  await copyright(root, 'keyport');
}

async function providerPackage(root: string, runtime: NodeRuntime): Promise<void> {
  const opt = path.join(root, 'opt', 'keyport-provider');
  const files = path.join(DEBIAN_FILES, 'keyport-provider');
  await copyRuntime(runtime, opt);
  await bundleProvider(opt);
  await copySqliteModule(path.join(opt, 'lib'), runtime);
  await mkdir(path.join(root, 'usr', 'bin'), { recursive: true });
  await cp(path.join(files, 'keyport-provider.sh'), path.join(root, 'usr', 'bin', 'keyport-provider'));
  await mkdir(path.join(root, 'lib', 'systemd', 'system'), { recursive: true });
  await cp(
    path.join(files, 'keyport-provider.service'),
    path.join(root, 'lib', 'systemd', 'system', 'keyport-provider.service'),
  );
  await mkdir(path.join(root, 'etc', 'keyport-provider'), { recursive: true });
  await cp(path.join(files, 'provider.env'), path.join(root, 'etc', 'keyport-provider', 'provider.env'));
  await copyright(root, 'keyport-provider');
  await writeFile(
    path.join(root, 'usr', 'share', 'doc', 'keyport-provider', 'README'),
    'The Keyport provider runs as keyport-provider.service.\n' +
      '  settings:  /etc/keyport-provider/provider.env (then: systemctl restart keyport-provider)\n' +
      '  data:      /var/lib/keyport-provider (database, packages, signing keys, admin-token)\n' +
      '  logs:      journalctl -u keyport-provider\n' +
      '  options:   keyport-provider --help\n' +
      'Removing the package keeps the data and settings; purging deletes them.\n',
  );
}

/** Package → version → .deb file. */
export type BuiltPackages = Record<PackageName, Record<string, string>>;

export async function buildPackages(options: BuildOptions = {}): Promise<BuiltPackages> {
  const meta = repoPackageJson();
  const versions = options.versions ?? [meta.version];
  const outDir = options.outDir ?? DIST_DIR;
  const wanted = new Set<PackageName>(options.only ?? ['keyport', 'keyport-provider']);
  const maintainer = `${meta.author.name} <${meta.author.email}>`;
  const runtime = await ensureNodeRuntime();
  const staging = await mkdtemp(path.join(tmpdir(), 'keyport-package-'));
  const built: BuiltPackages = { keyport: {}, 'keyport-provider': {} };
  try {
    if (wanted.has('keyport')) {
      step('the desktop app and CLI: bundling, renderer, icons…');
      const root = path.join(staging, 'keyport');
      await appPackage(root, runtime, await makeIcons());
      for (const version of versions)
        built.keyport[version] = await buildDeb({
          root,
          outFile: path.join(outDir, `keyport_${version}_amd64.deb`),
          compressionLevel: options.fast ? 1 : 6,
          control: {
            package: 'keyport',
            version,
            architecture: 'amd64',
            maintainer,
            depends: NODE_DEPENDS,
            // Secret Service holds the license keys; a Chromium-family browser gives the app
            // its own window (else the default browser opens it through xdg-open).
            recommends: ['gnome-keyring', 'chromium | google-chrome-stable', 'xdg-utils'],
            section: 'utils',
            homepage: meta.homepage,
            description: `${meta.description}
            The Keyport desktop app buys, installs and runs programs, keeps their license keys
            in the OS keychain, and moves a copy to your new device. Start it from the menu
            ("Keyport") or with \`keyport open\`; \`keyport --help\` lists the commands.`,
          },
        });
    }
    if (wanted.has('keyport-provider')) {
      step('the provider: bundling, better-sqlite3, service…');
      const root = path.join(staging, 'keyport-provider');
      await providerPackage(root, runtime);
      const files = path.join(DEBIAN_FILES, 'keyport-provider');
      for (const version of versions)
        built['keyport-provider'][version] = await buildDeb({
          root,
          outFile: path.join(outDir, `keyport-provider_${version}_amd64.deb`),
          compressionLevel: options.fast ? 1 : 6,
          scripts: Object.fromEntries(
            ['postinst', 'prerm', 'postrm'].map((name) => [name, path.join(files, name)]),
          ),
          conffiles: ['/etc/keyport-provider/provider.env'],
          control: {
            package: 'keyport-provider',
            version,
            architecture: 'amd64',
            maintainer,
            // useradd and userdel (postinst, postrm).
            depends: [...NODE_DEPENDS, 'passwd'],
            recommends: ['systemd'],
            section: 'net',
            homepage: meta.homepage,
            description: `The Keyport provider: store, license server and registry
            The server side of Keyport: accounts and devices, the catalog, purchases,
            license keys issued through one-time transaction IDs, and transfers between
            devices. Runs as keyport-provider.service on SQLite (or PostgreSQL); settings
            in /etc/keyport-provider/provider.env, data in /var/lib/keyport-provider.`,
          },
        });
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  for (const file of Object.values(built).flatMap((byVersion) => Object.values(byVersion)))
    step(
      `${path.relative(process.cwd(), file) || file}: ${((await stat(file)).size / 2 ** 20).toFixed(1)} MiB`,
    );
  return built;
}

async function main(): Promise<void> {
  const cli = readCommandLine(
    'npm run package',
    `Usage: npm run package -- [--version V] [--out DIR] [--fast] [--only keyport|keyport-provider]
  Builds keyport_<version>_amd64.deb and keyport-provider_<version>_amd64.deb into dist/.`,
    {
      version: { type: 'string' },
      out: { type: 'string' },
      fast: { type: 'boolean', default: false },
      only: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  );
  if (!cli) return;
  const { values, fail } = cli;
  if (values.only && values.only !== 'keyport' && values.only !== 'keyport-provider')
    fail('--only takes keyport or keyport-provider');
  if (values.version && !/^[0-9][A-Za-z0-9.+~-]*$/.test(values.version))
    fail(`--version must be a Debian version such as 0.1.0, not "${values.version}"`);
  await buildPackages({
    versions: values.version ? [values.version] : undefined,
    outDir: values.out ? path.resolve(values.out) : undefined,
    fast: values.fast,
    only: values.only ? [values.only as PackageName] : undefined,
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((error: unknown) => {
    console.error(`npm run package failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
