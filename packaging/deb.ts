/**
 * A `.deb` from a folder tree, with nothing but `dpkg-deb`: the control file (with
 * Installed-Size computed from the tree), md5sums, maintainer scripts and conffiles,
 * owned by root whatever user builds it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface DebControl {
  package: string;
  version: string;
  architecture: 'amd64';
  maintainer: string;
  depends?: string[];
  recommends?: string[];
  section: string;
  homepage: string;
  /** First line: the synopsis; the rest: the long description. */
  description: string;
}

/** The package's files, not its DEBIAN/ control folder (left from building another version). */
async function* walk(dir: string, top = true): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (top && entry.name === 'DEBIAN') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full, false);
    else yield full;
  }
}

/** 0755 for folders and executables, 0644 for the rest: what the build machine had does not leak in. */
async function normaliseModes(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await normaliseModes(full);
    else if (entry.isFile()) await chmod(full, (await stat(full)).mode & 0o111 ? 0o755 : 0o644);
  }
}

async function installedSizeKiB(root: string): Promise<number> {
  let bytes = 0;
  for await (const file of walk(root)) bytes += (await stat(file)).size;
  return Math.ceil(bytes / 1024);
}

function controlText(control: DebControl, installedSize: number): string {
  const [synopsis, ...rest] = control.description.trim().split('\n');
  const long = rest.map((line) => (line.trim() === '' ? ' .' : ` ${line.trim()}`)).join('\n');
  const fields: Array<[string, string | undefined]> = [
    ['Package', control.package],
    ['Version', control.version],
    ['Architecture', control.architecture],
    ['Maintainer', control.maintainer],
    ['Installed-Size', String(installedSize)],
    ['Depends', control.depends?.join(', ')],
    ['Recommends', control.recommends?.join(', ')],
    ['Section', control.section],
    ['Priority', 'optional'],
    ['Homepage', control.homepage],
    ['Description', `${synopsis}\n${long}`],
  ];
  return `${fields
    .filter(([, value]) => value)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n')}\n`;
}

export async function buildDeb(options: {
  /** The package's files, laid out as they install (no DEBIAN/ yet). */
  root: string;
  control: DebControl;
  /** Maintainer scripts (postinst, prerm, postrm …) to copy into DEBIAN/. */
  scripts?: Record<string, string>;
  /** Absolute paths of configuration files dpkg must not overwrite on upgrade. */
  conffiles?: string[];
  outFile: string;
  /** xz level: 6 for a release, lower for a test fixture that is thrown away. */
  compressionLevel?: number;
}): Promise<string> {
  const { root } = options;
  await normaliseModes(root);
  const sums: string[] = [];
  for await (const file of walk(root)) {
    const digest = createHash('md5')
      .update(await readFile(file))
      .digest('hex');
    sums.push(`${digest}  ${path.relative(root, file)}`);
  }
  const debian = path.join(root, 'DEBIAN');
  await mkdir(debian, { recursive: true });
  await writeFile(path.join(debian, 'control'), controlText(options.control, await installedSizeKiB(root)));
  await writeFile(path.join(debian, 'md5sums'), `${sums.sort().join('\n')}\n`);
  if (options.conffiles?.length)
    await writeFile(path.join(debian, 'conffiles'), `${options.conffiles.join('\n')}\n`);
  for (const [name, source] of Object.entries(options.scripts ?? {})) {
    await cp(source, path.join(debian, name));
    await chmod(path.join(debian, name), 0o755);
  }
  await mkdir(path.dirname(options.outFile), { recursive: true });
  execFileSync(
    'dpkg-deb',
    ['--root-owner-group', '-Zxz', `-z${options.compressionLevel ?? 6}`, '--build', root, options.outFile],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return options.outFile;
}
