import { createHash } from 'node:crypto';
import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  realpath,
  rm,
  stat,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { create } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packFiles } from '../../server/seed/package-builder.ts';
import {
  cleanupInstallLeftovers,
  installPackage,
  readInstalledManifest,
  resolveEntryPoint,
  uninstallPackage,
} from './installer.ts';
import {
  ambiguousCases,
  bombHead,
  maliciousCases,
  packageWith,
  rawTar,
  rawTarGz,
} from '../../test-support/malicious-archives.ts';
import { appErrorOf } from '../../test-support/app-error-of.ts';

let work: string;
/** Everything the installer could touch: the install root and a sentinel folder beside it. */
let world: string;
let root: string;
let archives: string;

beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'keyport-installer-'));
  world = path.join(work, 'world');
  root = path.join(world, 'root');
  archives = path.join(work, 'archives');
  await mkdir(path.join(world, 'outside'), { recursive: true });
  await writeFile(path.join(world, 'outside', 'sentinel.txt'), 'untouched\n');
  await mkdir(root, { recursive: true });
  await mkdir(archives);
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function archiveFile(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(archives, `${name.replace(/[^a-z0-9]+/gi, '-')}.tar.gz`);
  await writeFile(file, bytes);
  return file;
}

function goodPackage(version: string, extra: Record<string, string> = {}): Promise<Buffer> {
  return packFiles({
    'keyport.json': JSON.stringify({ version, entry: 'main.mjs', name: 'Demo' }),
    'main.mjs': `console.log('demo ${version}');\n`,
    ...extra,
  });
}

async function install(bytes: Buffer, softwareId = 'demo') {
  return installPackage({
    archivePath: await archiveFile(`pkg-${softwareId}`, bytes),
    installRoot: root,
    softwareId,
  });
}

/** Every path under `dir` with its type, mode and contents (or link target). */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  const walk = async (current: string): Promise<void> => {
    for (const name of (await readdir(current)).sort()) {
      const full = path.join(current, name);
      const info = await lstat(full);
      const key = path.relative(dir, full);
      const mode = (info.mode & 0o7777).toString(8);
      if (info.isSymbolicLink()) result[key] = `link ${await readlink(full)}`;
      else if (info.isDirectory()) {
        result[key] = `dir ${mode}`;
        await walk(full);
      } else {
        const digest = createHash('sha256')
          .update(await readFile(full))
          .digest('hex');
        result[key] = `file ${mode} ${digest}`;
      }
    }
  };
  await walk(dir);
  return result;
}

describe('installPackage', () => {
  it('installs a good package and resolves its entry inside the install folder', async () => {
    const progress: Array<{ entries: number; bytes: number }> = [];
    const installed = await installPackage({
      archivePath: await archiveFile('good', await goodPackage('1.0.0', { 'README.txt': 'hi\n' })),
      installRoot: root,
      softwareId: 'demo',
      onProgress: (done) => progress.push(done),
    });
    expect(installed).toMatchObject({
      softwareId: 'demo',
      installDir: path.join(root, 'demo'),
      manifest: { version: '1.0.0', entry: 'main.mjs', name: 'Demo' },
      files: 3,
    });
    expect(installed.bytes).toBeGreaterThan(0);
    expect(progress.at(-1)?.entries).toBe(3);
    expect(progress.map((p) => p.entries)).toEqual([1, 2, 3]);
    expect(await readFile(path.join(root, 'demo', 'main.mjs'), 'utf8')).toContain('demo 1.0.0');
    const entry = await resolveEntryPoint(installed);
    expect(entry).toBe(path.join(await realpath(root), 'demo', 'main.mjs'));
    expect(await readInstalledManifest(root, 'demo')).toEqual(installed.manifest);
    // Only the install itself is left in the root: no staging or old folders.
    expect(await readdir(root)).toEqual(['demo']);
  });

  it('installs folders and links that stay inside, and makes modes sane', async () => {
    const installed = await install(
      rawTarGz([
        { path: 'keyport.json', body: JSON.stringify({ version: '2.0.0', entry: './bin/start.mjs' }) },
        { path: 'bin/', type: 'Directory', mode: 0o777 },
        { path: 'bin/start.mjs', body: 'start\n', mode: 0o4777 },
        { path: 'lib/util.mjs', body: 'util\n', mode: 0o666 },
        { path: 'current', type: 'SymbolicLink', linkpath: 'lib' },
        { path: 'lib/copy.mjs', type: 'Link', linkpath: 'lib/util.mjs' },
      ]),
    );
    const dir = installed.installDir;
    expect(installed.manifest.entry).toBe('bin/start.mjs');
    expect(installed.files).toBe(3); // the hard link shares its file
    expect((await stat(path.join(dir, 'bin'))).mode & 0o7777).toBe(0o755);
    expect((await stat(path.join(dir, 'bin', 'start.mjs'))).mode & 0o7777).toBe(0o755); // no setuid
    expect((await stat(path.join(dir, 'lib', 'util.mjs'))).mode & 0o7777).toBe(0o644); // not world-writable
    expect(await readlink(path.join(dir, 'current'))).toBe('lib');
    expect(await readFile(path.join(dir, 'current', 'copy.mjs'), 'utf8')).toBe('util\n');
    expect(await resolveEntryPoint(installed)).toBe(path.join(await realpath(dir), 'bin', 'start.mjs'));
  });

  it('installs what tar itself packs from a folder: ./ entries, nested folders, long (PAX) names', async () => {
    const source = path.join(work, 'source');
    const longName = `${'deep/'.repeat(12)}${'n'.repeat(80)}.txt`;
    await mkdir(path.join(source, path.dirname(longName)), { recursive: true });
    await writeFile(path.join(source, longName), 'long\n');
    await mkdir(path.join(source, 'bin'));
    await writeFile(path.join(source, 'bin', 'main.mjs'), 'main\n', { mode: 0o755 });
    await writeFile(
      path.join(source, 'keyport.json'),
      JSON.stringify({ version: '3.1.0', entry: 'bin/main.mjs' }),
    );
    const chunks: Buffer[] = [];
    for await (const chunk of create({ gzip: true, cwd: source, portable: true }, ['.'])) {
      chunks.push(chunk as Buffer);
    }
    const installed = await install(Buffer.concat(chunks));
    expect(installed.manifest).toEqual({ version: '3.1.0', entry: 'bin/main.mjs' });
    expect(await readFile(path.join(installed.installDir, longName), 'utf8')).toBe('long\n');
    expect(await resolveEntryPoint(installed)).toBe(
      path.join(await realpath(installed.installDir), 'bin/main.mjs'),
    );
  });

  it('replaces an existing install as a whole', async () => {
    await install(await goodPackage('1.0.0', { 'old-only.txt': 'old\n' }));
    const second = await install(await goodPackage('2.0.0'));
    expect(second.manifest.version).toBe('2.0.0');
    expect(await readdir(second.installDir)).toEqual(['keyport.json', 'main.mjs']);
    expect(await readdir(root)).toEqual(['demo']);
    expect((await readInstalledManifest(root, 'demo'))?.version).toBe('2.0.0');
  });

  it('replaces a planted link at the install folder without touching what it points to', async () => {
    await symlink(path.join(world, 'outside'), path.join(root, 'demo'));
    const before = await snapshot(path.join(world, 'outside'));
    const installed = await install(await goodPackage('1.0.0'));
    expect((await lstat(installed.installDir)).isDirectory()).toBe(true);
    expect(await snapshot(path.join(world, 'outside'))).toEqual(before);
    expect(await readdir(root)).toEqual(['demo']);
  });

  it('runs concurrent installs of one program one after the other', async () => {
    const [a, b] = await Promise.all([
      installPackage({
        archivePath: await archiveFile('a', await goodPackage('1.0.0')),
        installRoot: root,
        softwareId: 'demo',
      }),
      installPackage({
        archivePath: await archiveFile('b', await goodPackage('2.0.0')),
        installRoot: root,
        softwareId: 'demo',
      }),
    ]);
    expect([a.manifest.version, b.manifest.version]).toEqual(['1.0.0', '2.0.0']);
    expect((await readInstalledManifest(root, 'demo'))?.version).toBe('2.0.0');
    expect(await readdir(root)).toEqual(['demo']);
  });

  describe('refuses a malicious package before writing anything', () => {
    it.each(maliciousCases().map((c) => [c.name, c] as const))('%s', async (_name, malicious) => {
      await install(await goodPackage('1.0.0'));
      const before = await snapshot(world);
      const error = await appErrorOf(install(malicious.archive));
      expect(error.code).toBe('UNSAFE_PACKAGE');
      expect(error.message).toContain(malicious.names);
      // Nothing outside the root changed, the previous install is intact, no leftovers.
      expect(await snapshot(world)).toEqual(before);
      expect(await readFile('/etc/passwd', 'utf8')).not.toContain('pwned');
    });
  });

  describe('refuses a package whose meaning depends on the extractor, before writing anything', () => {
    it.each(ambiguousCases().map((c) => [c.name, c] as const))('%s', async (_name, ambiguous) => {
      await install(await goodPackage('1.0.0'));
      const before = await snapshot(world);
      const error = await appErrorOf(install(ambiguous.archive));
      expect(error.message).toContain(ambiguous.names);
      expect(error.code).toBe(
        ambiguous.names.includes('not valid gzip') ? 'INSTALL_FAILED' : 'UNSAFE_PACKAGE',
      );
      expect(await snapshot(world)).toEqual(before);
    });
  });

  describe('refuses a decompression bomb before writing it', () => {
    it('at the header of an entry over the default per-entry limit (a mirror serving a bomb)', async () => {
      await install(await goodPackage('1.0.0'));
      const before = await snapshot(world);
      // Claims 2 GiB, holds 64 KiB: "too large", not "cut short", so it was refused at the header.
      const error = await appErrorOf(install(bombHead(2 * 1024 ** 3)));
      expect(error.code).toBe('UNSAFE_PACKAGE');
      expect(error.message).toContain('expands to more than a package may');
      expect(error.message).toContain('bomb.bin expands to 2147483648 bytes');
      expect(await snapshot(world)).toEqual(before);
    });

    it.each([
      [
        'total size',
        { maxExpandedBytes: 3000, maxEntries: 100, maxEntryBytes: 3000 },
        'more than the 3000 bytes allowed',
      ],
      ['entry count', { maxExpandedBytes: 1e6, maxEntries: 3, maxEntryBytes: 1e6 }, 'more than 3 entries'],
      [
        'entry size',
        { maxExpandedBytes: 1e6, maxEntries: 100, maxEntryBytes: 2000 },
        'expands to 2001 bytes',
      ],
    ])('over the %s given', async (_limit, limits, sentence) => {
      const archive = packageWith([
        { path: 'a.bin', body: Buffer.alloc(2001) },
        { path: 'b.bin', body: Buffer.alloc(1000) },
      ]);
      const error = await appErrorOf(
        installPackage({
          archivePath: await archiveFile('limited', archive),
          installRoot: root,
          softwareId: 'demo',
          limits,
        }),
      );
      expect(error.code).toBe('UNSAFE_PACKAGE');
      expect(error.message).toContain(sentence);
      expect(await readdir(root).catch(() => [])).not.toContain('demo');
    });
  });

  describe('refuses a broken package and keeps the previous install', () => {
    const manifest = (value: unknown) => ({ path: 'keyport.json', body: JSON.stringify(value) });
    const main = { path: 'main.mjs', body: 'main\n' };
    const good = () => rawTar([manifest({ version: '9.0.0', entry: 'main.mjs' }), main]);
    const cases: Array<[string, () => Buffer, string]> = [
      ['no keyport.json', () => rawTarGz([main]), 'INSTALL_FAILED'],
      [
        'keyport.json is not JSON',
        () => rawTarGz([{ path: 'keyport.json', body: '{' }, main]),
        'INSTALL_FAILED',
      ],
      [
        'keyport.json without a version',
        () => rawTarGz([manifest({ entry: 'main.mjs' }), main]),
        'INSTALL_FAILED',
      ],
      [
        'keyport.json is a link to another file',
        () =>
          rawTarGz([
            { path: 'other.json', body: JSON.stringify({ version: '9.0.0', entry: 'main.mjs' }) },
            { path: 'keyport.json', type: 'SymbolicLink', linkpath: 'other.json' },
            main,
          ]),
        'INSTALL_FAILED',
      ],
      [
        'entry missing',
        () => rawTarGz([manifest({ version: '9.0.0', entry: 'gone.mjs' }), main]),
        'INSTALL_FAILED',
      ],
      [
        'entry pointing outside',
        () => rawTarGz([manifest({ version: '9.0.0', entry: '../outside/sentinel.txt' }), main]),
        'UNSAFE_PACKAGE',
      ],
      [
        'entry absolute',
        () => rawTarGz([manifest({ version: '9.0.0', entry: '/etc/passwd' }), main]),
        'UNSAFE_PACKAGE',
      ],
      [
        'entry is a folder',
        () =>
          rawTarGz([manifest({ version: '9.0.0', entry: 'bin' }), { path: 'bin/', type: 'Directory' }, main]),
        'UNSAFE_PACKAGE',
      ],
      ['truncated gzip', () => gzipSync(good()).subarray(0, 40), 'INSTALL_FAILED'],
      ['truncated tar inside good gzip', () => gzipSync(good().subarray(0, 512 + 100)), 'INSTALL_FAILED'],
      [
        'garbled gzip',
        () => {
          const bytes = Buffer.from(gzipSync(good()));
          for (let i = 20; i < bytes.length - 8; i += 3) bytes[i] = (bytes[i] ?? 0) ^ 0x5a;
          return bytes;
        },
        'INSTALL_FAILED',
      ],
      ['not gzip at all', () => good(), 'INSTALL_FAILED'],
      ['empty file', () => Buffer.alloc(0), 'INSTALL_FAILED'],
    ];
    it.each(cases)('%s', async (_name, build, code) => {
      await install(await goodPackage('1.0.0'));
      const before = await snapshot(world);
      const error = await appErrorOf(install(build()));
      expect(error.code).toBe(code);
      expect(error.message).toMatch(/\.$/);
      expect(await snapshot(world)).toEqual(before);
      expect((await readInstalledManifest(root, 'demo'))?.version).toBe('1.0.0');
    });

    it('refuses a missing archive file without touching anything', async () => {
      const before = await snapshot(world);
      const error = await appErrorOf(
        installPackage({
          archivePath: path.join(archives, 'nope.tar.gz'),
          installRoot: root,
          softwareId: 'demo',
        }),
      );
      expect(error.code).toBe('INSTALL_FAILED');
      expect(await snapshot(world)).toEqual(before);
    });
  });

  it('refuses software IDs that are not slugs', async () => {
    const archivePath = await archiveFile('good', await goodPackage('1.0.0'));
    const before = await snapshot(world);
    for (const softwareId of ['../outside', 'Demo', '.staging-demo', 'a', 'x/y', '']) {
      const error = await appErrorOf(installPackage({ archivePath, installRoot: root, softwareId }));
      expect(error.code).toBe('BAD_INPUT');
    }
    expect(await snapshot(world)).toEqual(before);
  });
});

describe('uninstallPackage', () => {
  it('removes the install folder, and says when there was none', async () => {
    await install(await goodPackage('1.0.0'));
    await install(await goodPackage('1.0.0'), 'other');
    expect(await uninstallPackage(root, 'demo')).toBe(true);
    expect(await readdir(root)).toEqual(['other']);
    expect(await readInstalledManifest(root, 'demo')).toBeNull();
    expect(await uninstallPackage(root, 'demo')).toBe(false);
  });

  it('refuses software IDs that are not slugs', async () => {
    const before = await snapshot(world);
    for (const softwareId of ['..', '../outside', 'outside/..', '.', 'ROOT']) {
      expect((await appErrorOf(uninstallPackage(root, softwareId))).code).toBe('BAD_INPUT');
    }
    expect(await snapshot(world)).toEqual(before);
  });
});

describe('resolveEntryPoint', () => {
  it('refuses an entry that was swapped for a link out of the install folder', async () => {
    const installed = await install(await goodPackage('1.0.0'));
    const entry = path.join(installed.installDir, 'main.mjs');
    await unlink(entry);
    await symlink(path.join(world, 'outside', 'sentinel.txt'), entry);
    expect((await appErrorOf(resolveEntryPoint(installed))).code).toBe('UNSAFE_PACKAGE');
  });

  it('refuses an entry that is a folder, or names a path outside', async () => {
    const installed = await install(await goodPackage('1.0.0'));
    await unlink(path.join(installed.installDir, 'main.mjs'));
    await mkdir(path.join(installed.installDir, 'main.mjs'));
    expect((await appErrorOf(resolveEntryPoint(installed))).code).toBe('UNSAFE_PACKAGE');
    const outside = { ...installed, manifest: { ...installed.manifest, entry: '../outside/sentinel.txt' } };
    expect((await appErrorOf(resolveEntryPoint(outside))).code).toBe('UNSAFE_PACKAGE');
  });

  it('says the program is not installed when its entry is gone', async () => {
    const installed = await install(await goodPackage('1.0.0'));
    await unlink(path.join(installed.installDir, 'main.mjs'));
    expect((await appErrorOf(resolveEntryPoint(installed))).code).toBe('NOT_INSTALLED');
  });
});

describe('cleanupInstallLeftovers', () => {
  it('removes staging and trash folders, and restores a program a crash left renamed aside', async () => {
    await install(await goodPackage('1.0.0'));
    await mkdir(path.join(root, '.staging-demo-0123456789ab', 'deep'), { recursive: true });
    await writeFile(path.join(root, '.staging-demo-0123456789ab', 'deep', 'f'), 'x');
    await mkdir(path.join(root, '.trash-gone-0123456789ab'));
    // demo is installed, so its aside copy is stale; other lost its folder mid-swap.
    await mkdir(path.join(root, '.old-demo-0123456789ab'));
    await mkdir(path.join(root, '.old-other-00000000000a'));
    await writeFile(path.join(root, '.old-other-00000000000a', 'keyport.json'), '{}');
    await mkdir(path.join(root, 'unrelated'));
    await mkdir(path.join(root, '.staging-not-ours'));

    await cleanupInstallLeftovers(root);

    expect((await readdir(root)).sort()).toEqual(['.staging-not-ours', 'demo', 'other', 'unrelated']);
    expect(await readFile(path.join(root, 'other', 'keyport.json'), 'utf8')).toBe('{}');
    expect((await readInstalledManifest(root, 'demo'))?.version).toBe('1.0.0');
  });

  it('does nothing when there is no install root yet', async () => {
    await expect(cleanupInstallLeftovers(path.join(work, 'missing'))).resolves.toBeUndefined();
  });
});
