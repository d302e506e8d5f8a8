/**
 * Publishing releases through POST /v1/admin/software/:id/releases: a valid package is
 * stored content-addressed and announced with its SHA-256; anything that is not a safe
 * .tar.gz with a manifest naming a file in it is refused with 400 VALIDATION and leaves
 * nothing behind. Malicious archives are built by hand (a tiny ustar writer below),
 * because the `tar` package sanitises paths when it creates archives.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  smallPackage,
  startProvider,
  type ApiResponse,
  type TestProvider,
} from '../../test-support/provider-harness.ts';
import { sha256Hex } from '../lib/secrets.ts';
import {
  ambiguousCases,
  bombHead,
  maliciousCases,
  packageWith,
} from '../../test-support/malicious-archives.ts';

// ── a minimal ustar writer ───────────────────────────────────────────────────
interface TarEntry {
  name: string;
  /** ustar typeflag: '0' file, '1' hard link, '2' symlink, '3' char device, '5' dir, 'x' pax header. */
  type?: string;
  body?: string | Buffer;
  linkname?: string;
  mode?: number;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(entry: TarEntry, size: number): Buffer {
  const block = Buffer.alloc(512);
  const put = (text: string, offset: number, width: number) => {
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length > width) throw new Error(`tar field too long: ${text}`);
    bytes.copy(block, offset);
  };
  put(entry.name, 0, 100);
  put(octal(entry.mode ?? 0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8); // uid
  put(octal(0, 8), 116, 8); // gid
  put(octal(size, 12), 124, 12);
  put(octal(0, 12), 136, 12); // mtime
  put(entry.type ?? '0', 156, 1);
  put(entry.linkname ?? '', 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  if (entry.type === '3' || entry.type === '4') {
    put(octal(1, 8), 329, 8); // devmajor
    put(octal(3, 8), 337, 8); // devminor
  }
  block.fill(0x20, 148, 156); // checksum field counts as spaces
  let sum = 0;
  for (const byte of block) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return block;
}

function tar(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    blocks.push(header(entry, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function pax(records: Record<string, string>): TarEntry {
  const body = Object.entries(records)
    .map(([key, value]) => {
      const text = ` ${key}=${value}\n`;
      let length = text.length;
      while (`${length}${text}`.length !== length) length = `${length}${text}`.length;
      return `${length}${text}`;
    })
    .join('');
  return { name: 'PaxHeader/x', type: 'x', body };
}

const manifest = (value: unknown): TarEntry => ({
  name: 'keyport.json',
  body: typeof value === 'string' ? value : JSON.stringify(value),
});
const MAIN: TarEntry = { name: 'main.mjs', body: 'console.log("hi")\n', mode: 0o755 };
const GOOD_MANIFEST = manifest({ version: '9.9.9', entry: 'main.mjs' });
const targz = (entries: TarEntry[]) => gzipSync(tar(entries));

// ── the provider ─────────────────────────────────────────────────────────────
let provider: TestProvider;
const SW = 'inspected-app';

beforeAll(async () => {
  provider = await startProvider();
  const created = await provider.api('POST', '/v1/admin/software', {
    token: provider.adminToken,
    body: {
      softwareId: SW,
      name: 'Inspected',
      summary: 'Packages under test',
      priceCents: 100,
      currency: 'EUR',
    },
  });
  expect(created.status).toBe(201);
});
afterAll(() => provider.close());

function publish(archive: Buffer, softwareId = SW, contentType = 'application/gzip'): Promise<ApiResponse> {
  return provider.api('POST', `/v1/admin/software/${softwareId}/releases`, {
    token: provider.adminToken,
    rawBody: archive,
    headers: { 'content-type': contentType },
  });
}

async function storedFiles(): Promise<string[]> {
  const root = path.join(provider.dataDir, 'artifacts');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

async function releaseRows() {
  return provider.app.keyport.registry.db.selectFrom('releases').selectAll().orderBy('version').execute();
}

describe('a valid package', () => {
  it('is published with its SHA-256 and stored content-addressed', async () => {
    const archive = await smallPackage('1.0.0');
    const response = await publish(archive);
    expect(response.status).toBe(201);
    const digest = sha256Hex(archive);
    expect(response.body.release).toMatchObject({
      version: '1.0.0',
      sha256: digest,
      sizeBytes: archive.length,
      entry: 'main.mjs',
    });
    const file = path.join(provider.dataDir, 'artifacts', 'sha256', digest.slice(0, 2), digest);
    expect(await readFile(file)).toEqual(archive);
    expect(await storedFiles()).toEqual([path.join('sha256', digest.slice(0, 2), digest)]);
    const detail = await provider.api('GET', `/v1/catalog/${SW}`);
    expect(detail.body.software.releases).toEqual([
      expect.objectContaining({ version: '1.0.0', sha256: digest }),
    ]);
  });

  it('accepts a hand-built package too (so the refusals below are about their one flaw)', async () => {
    const archive = targz([
      { name: 'bin/', type: '5', mode: 0o755 },
      manifest({ version: '1.0.1', entry: 'bin/run.mjs' }),
      { name: 'bin/run.mjs', body: 'x' },
      { name: 'bin/alias', type: '2', linkname: 'run.mjs' },
      { name: 'copy.mjs', type: '1', linkname: 'bin/run.mjs' },
    ]);
    const response = await publish(archive);
    expect(response.status).toBe(201);
    expect(response.body.release).toMatchObject({
      version: '1.0.1',
      sha256: sha256Hex(archive),
      entry: 'bin/run.mjs',
    });
    const plain = targz([GOOD_MANIFEST, MAIN]);
    const accepted = await publish(plain);
    expect(accepted.status).toBe(201);
    expect(accepted.body.release).toMatchObject({ version: '9.9.9', sha256: sha256Hex(plain) });
  });

  it('refuses the same version twice with 409 ALREADY_EXISTS and stores nothing new', async () => {
    const before = await storedFiles();
    const again = await publish(await smallPackage('1.0.0', { 'extra.txt': 'different bytes' }));
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ALREADY_EXISTS');
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    expect(await storedFiles()).toEqual(before);
    expect((await releaseRows()).filter((r) => r.version === '1.0.0')).toHaveLength(1);
  });

  it('refuses a release of unknown software with 404 NOT_FOUND', async () => {
    const before = await storedFiles();
    const response = await publish(await smallPackage('1.0.0'), 'no-such-app');
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('NOT_FOUND');
    expect(await storedFiles()).toEqual(before);
  });
});

describe('refused packages', () => {
  // Each refused archive is otherwise publishable as a version nobody has published yet,
  // so a broken check shows up as a 201, not as some other refusal.
  const GOOD_MANIFEST = manifest({ version: '7.0.0', entry: 'main.mjs' });
  const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251));
  const cases: Array<[string, () => Buffer | Promise<Buffer>]> = [
    ['an empty body', () => Buffer.alloc(0)],
    ['not gzip (a plain tar)', () => tar([GOOD_MANIFEST, MAIN])],
    ['not gzip (text)', () => Buffer.from('hello, I am a package')],
    ['only a gzip magic number', () => Buffer.from([0x1f, 0x8b])],
    ['a truncated gzip', () => targz([GOOD_MANIFEST, MAIN]).subarray(0, 40)],
    ['gzip of garbage', () => gzipSync(garbage)],
    ['gzip of nothing', () => gzipSync(Buffer.alloc(0))],
    [
      'a tar with a broken header checksum',
      () => {
        const raw = tar([GOOD_MANIFEST, MAIN]);
        raw[0] = 'X'.charCodeAt(0); // rename without fixing the checksum
        return gzipSync(raw);
      },
    ],
    ['an empty tar', () => gzipSync(Buffer.alloc(1024))],
    ['no keyport.json', () => targz([MAIN])],
    ['keyport.json only in a folder', () => targz([{ ...GOOD_MANIFEST, name: 'sub/keyport.json' }, MAIN])],
    ['keyport.json as a folder', () => targz([{ name: 'keyport.json/', type: '5' }, MAIN])],
    ['keyport.json not JSON', () => targz([manifest('{version: 1.0.0'), MAIN])],
    ['keyport.json empty', () => targz([manifest(''), MAIN])],
    ['keyport.json an array', () => targz([manifest([]), MAIN])],
    ['manifest missing version', () => targz([manifest({ entry: 'main.mjs' }), MAIN])],
    ['manifest missing entry', () => targz([manifest({ version: '2.0.0' }), MAIN])],
    [
      'manifest with a bad version',
      () => targz([manifest({ version: '../2.0.0', entry: 'main.mjs' }), MAIN]),
    ],
    ['manifest with a numeric version', () => targz([manifest({ version: 2, entry: 'main.mjs' }), MAIN])],
    ['entry not in the archive', () => targz([manifest({ version: '2.0.0', entry: 'missing.mjs' }), MAIN])],
    [
      'entry a folder',
      () =>
        targz([
          manifest({ version: '2.0.0', entry: 'bin' }),
          { name: 'bin/', type: '5' },
          { name: 'bin/x', body: 'x' },
        ]),
    ],
    ['entry outside the package', () => targz([manifest({ version: '2.0.0', entry: '../main.mjs' }), MAIN])],
    ['entry an absolute path', () => targz([manifest({ version: '2.0.0', entry: '/main.mjs' }), MAIN])],
    [
      'entry a symlink to outside',
      () =>
        targz([
          manifest({ version: '2.0.0', entry: 'run' }),
          MAIN,
          { name: 'run', type: '2', linkname: '/bin/sh' },
        ]),
    ],
    ['an entry with ../', () => targz([GOOD_MANIFEST, MAIN, { name: '../evil.sh', body: 'rm -rf ~' }])],
    ['an entry with a/../../', () => targz([GOOD_MANIFEST, MAIN, { name: 'a/../../evil.sh', body: 'x' }])],
    ['an entry with ..\\ (Windows)', () => targz([GOOD_MANIFEST, MAIN, { name: '..\\evil.bat', body: 'x' }])],
    ['an absolute path', () => targz([GOOD_MANIFEST, MAIN, { name: '/etc/cron.d/evil', body: 'x' }])],
    ['a drive-letter path', () => targz([GOOD_MANIFEST, MAIN, { name: 'C:/Windows/evil.dll', body: 'x' }])],
    [
      'a pax path climbing out',
      () => targz([GOOD_MANIFEST, MAIN, pax({ path: '../../evil.sh' }), { name: 'innocent.sh', body: 'x' }]),
    ],
    [
      'a symlink to ../../etc/passwd',
      () => targz([GOOD_MANIFEST, MAIN, { name: 'passwd', type: '2', linkname: '../../etc/passwd' }]),
    ],
    [
      'a symlink to /etc/passwd',
      () => targz([GOOD_MANIFEST, MAIN, { name: 'passwd', type: '2', linkname: '/etc/passwd' }]),
    ],
    [
      'a nested symlink climbing out',
      () => targz([GOOD_MANIFEST, MAIN, { name: 'a/b/up', type: '2', linkname: '../../../x' }]),
    ],
    [
      'a hard link to ../../etc/passwd',
      () => targz([GOOD_MANIFEST, MAIN, { name: 'passwd', type: '1', linkname: '../../etc/passwd' }]),
    ],
    [
      'a hard link to /etc/passwd',
      () => targz([GOOD_MANIFEST, MAIN, { name: 'passwd', type: '1', linkname: '/etc/passwd' }]),
    ],
    ['a character device', () => targz([GOOD_MANIFEST, MAIN, { name: 'tty', type: '3' }])],
    ['a block device', () => targz([GOOD_MANIFEST, MAIN, { name: 'sda', type: '4' }])],
    ['a FIFO', () => targz([GOOD_MANIFEST, MAIN, { name: 'pipe', type: '6' }])],
    [
      'a symlink whose target goes through another symlink',
      () =>
        targz([
          GOOD_MANIFEST,
          MAIN,
          { name: 'lib', type: '2', linkname: '.' },
          { name: 'escape', type: '2', linkname: 'lib/..' },
        ]),
    ],
    [
      'a hard link to a symlink (which would land elsewhere)',
      () =>
        targz([
          GOOD_MANIFEST,
          MAIN,
          { name: 'a/b/up', type: '2', linkname: '..' },
          { name: 'up', type: '1', linkname: 'a/b/up' },
        ]),
    ],
    [
      'a file written through a symlinked folder',
      () =>
        targz([
          GOOD_MANIFEST,
          MAIN,
          { name: 'lib', type: '2', linkname: '.' },
          { name: 'lib/up', type: '2', linkname: '..' },
          { name: 'lib/up/evil.sh', body: 'x' },
        ]),
    ],
  ];

  it.each(cases)('%s → 400 VALIDATION, nothing stored', async (_name, build) => {
    const filesBefore = await storedFiles();
    const releasesBefore = await releaseRows();
    const response = await publish(await build());
    expect({ status: response.status, code: response.body.code }).toEqual({
      status: 400,
      code: 'VALIDATION',
    });
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.detail).toEqual(expect.any(String));
    expect(await storedFiles()).toEqual(filesBefore);
    expect(await releaseRows()).toEqual(releasesBefore);
  });

  it('says what is wrong', async () => {
    const detail = async (archive: Buffer) => (await publish(archive)).body.detail as string;
    expect(await detail(Buffer.from('plain text'))).toMatch(/gzip/);
    expect(await detail(targz([MAIN]))).toMatch(/keyport\.json/);
    expect(await detail(targz([manifest('{'), MAIN]))).toMatch(/JSON/);
    expect(await detail(targz([manifest({ entry: 'main.mjs' }), MAIN]))).toMatch(/version/);
    expect(await detail(targz([manifest({ version: '3.0.0', entry: 'nope.mjs' }), MAIN]))).toMatch(
      /nope\.mjs/,
    );
    expect(await detail(targz([GOOD_MANIFEST, MAIN, { name: '../evil.sh', body: 'x' }]))).toMatch(/evil\.sh/);
    expect(await detail(targz([GOOD_MANIFEST, MAIN, { name: 'tty', type: '3' }]))).toMatch(/tty/);
  });

  it('refuses uploads that are not application/gzip with 415', async () => {
    const archive = await smallPackage('4.0.0');
    for (const type of ['text/plain', 'image/png', 'application/zip']) {
      const response = await publish(archive, SW, type);
      expect({ status: response.status, code: response.body.code }, type).toEqual({
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      });
    }
    expect((await releaseRows()).map((r) => r.version)).not.toContain('4.0.0');
  });

  it('refuses uploads without the admin token', async () => {
    const archive = await smallPackage('5.0.0');
    const response = await provider.api('POST', `/v1/admin/software/${SW}/releases`, {
      rawBody: archive,
      headers: { 'content-type': 'application/gzip' },
    });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('UNAUTHENTICATED');
  });

  it('still lists the releases published before the refusals, and only those', async () => {
    expect((await releaseRows()).map((r) => r.version)).toEqual(['1.0.0', '1.0.1', '9.9.9']);
  });
});

describe('the archives the app refuses to install', () => {
  // The provider must refuse to publish every package the installer would refuse, or a
  // buyer would pay for something no device can install.
  it.each(maliciousCases().map((c) => [c.name, c.archive] as const))(
    '%s is refused',
    async (_name, archive) => {
      const before = await storedFiles();
      const response = await publish(archive);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION');
      expect(await storedFiles()).toEqual(before);
    },
  );
});

describe('archives whose meaning depends on the extractor', () => {
  // GNU tar, Python's tarfile and node-tar would each write something different.
  it.each(ambiguousCases().map((c) => [c.name, c] as const))('%s is refused', async (_name, ambiguous) => {
    const before = await storedFiles();
    const response = await publish(ambiguous.archive);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION');
    expect(response.body.detail).toContain(ambiguous.names);
    expect(await storedFiles()).toEqual(before);
  });

  it('accepts what real writers make: GNU tar (gnu and pax formats), Python tarfile, node-tar, long names included', async () => {
    const tool = spawnSync('tar', ['--version']);
    const python = spawnSync('python3', ['--version']);
    const work = await mkdtemp(path.join(tmpdir(), 'keyport-writers-'));
    const src = path.join(work, 'src');
    const long = `${'d'.repeat(60)}/${'e'.repeat(70)}.txt`;
    await mkdir(path.join(src, path.dirname(long)), { recursive: true });
    await writeFile(path.join(src, long), 'long\n');
    await writeFile(path.join(src, 'main.mjs'), 'console.log(1);\n');
    await symlink('l'.repeat(120), path.join(src, 'dangling-but-inside'));
    const writers: [string, () => void][] = [];
    if (tool.status === 0) {
      for (const format of ['gnu', 'pax']) {
        writers.push([
          `GNU tar --format=${format}`,
          () => run('tar', [`--format=${format}`, '-czf', archive(format), '-C', src, '.']),
        ]);
      }
    }
    if (python.status === 0) {
      writers.push([
        'Python tarfile (PAX)',
        () =>
          run('python3', [
            '-c',
            'import sys,tarfile\nt=tarfile.open(sys.argv[1],"w:gz",format=tarfile.PAX_FORMAT)\nt.add(sys.argv[2],".")\nt.close()',
            archive('python'),
            src,
          ]),
      ]);
    }
    expect(writers.length, 'GNU tar and python3 are part of the CI machine').toBeGreaterThan(0);
    let version = 0;
    function archive(name: string) {
      return path.join(work, `${name}.tar.gz`);
    }
    for (const [writer, write] of writers) {
      version += 1;
      await writeFile(
        path.join(src, 'keyport.json'),
        JSON.stringify({ version: `7.0.${version}`, entry: 'main.mjs' }),
      );
      write();
      const file = (await readdir(work)).find((f) => f.endsWith('.tar.gz'))!;
      const response = await publish(await readFile(path.join(work, file)));
      expect(response.status, `${writer}: ${JSON.stringify(response.body)}`).toBe(201);
      await rm(path.join(work, file));
    }
    await rm(work, { recursive: true, force: true });
  });
});

describe('decompression bombs', () => {
  it('refuses, at its header, an entry over the default per-entry limit: 413 PAYLOAD_TOO_LARGE', async () => {
    const before = await storedFiles();
    // 2 GiB claimed, 64 KiB present: refused as too large, so never read as far as its cut.
    const response = await publish(bombHead(2 * 1024 ** 3));
    expect(response.status).toBe(413);
    expect(response.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(response.body.detail).toContain('bomb.bin expands to 2147483648 bytes');
    expect(response.body.detail).toContain('--max-entry-mib');
    expect(await storedFiles()).toEqual(before);
  });

  describe('with the provider limits set low', () => {
    let small: TestProvider;
    beforeAll(async () => {
      small = await startProvider({
        settings: { archiveLimits: { maxExpandedBytes: 3000, maxEntries: 4, maxEntryBytes: 2000 } },
      });
      await small.api('POST', '/v1/admin/software', {
        token: small.adminToken,
        body: {
          softwareId: SW,
          name: 'Limited',
          summary: 'Limits under test',
          priceCents: 0,
          currency: 'EUR',
        },
      });
    });
    afterAll(() => small.close());
    const publishTo = (archive: Buffer) =>
      small.api('POST', `/v1/admin/software/${SW}/releases`, {
        token: small.adminToken,
        rawBody: archive,
        headers: { 'content-type': 'application/gzip' },
      });
    const file = (name: string, bytes: number) => ({ path: name, body: Buffer.alloc(bytes, 0x61) });

    it.each([
      [
        'the total expanded size',
        [file('a.bin', 1500), file('b.bin', 1500)],
        'more than the 3000 bytes allowed',
      ],
      ['the entry count', [file('a', 1), file('b', 1), file('c', 1)], 'more than 4 entries'],
      ['one entry’s size', [file('big.bin', 2001)], 'big.bin expands to 2001 bytes'],
    ])('refuses a package over %s', async (_limit, extra, sentence) => {
      const response = await publishTo(packageWith(extra));
      expect(response.status).toBe(413);
      expect(response.body.code).toBe('PAYLOAD_TOO_LARGE');
      expect(response.body.detail).toContain(sentence);
    });

    it('accepts one just within every limit', async () => {
      const response = await publishTo(packageWith([file('a.bin', 1000), file('b.bin', 1900)]));
      expect(response.status).toBe(201);
    });
  });
});

describe('uploads over the release size limit', () => {
  let small: TestProvider;
  beforeAll(async () => {
    small = await startProvider({ settings: { maxReleaseBytes: 4096 } });
    await small.api('POST', '/v1/admin/software', {
      token: small.adminToken,
      body: { softwareId: SW, name: 'Limited', summary: 'Limits under test', priceCents: 0, currency: 'EUR' },
    });
  });
  afterAll(() => small.close());

  it('refuses a declared length over the limit before reading the body, and closes the connection', async () => {
    const response = await small.api('POST', `/v1/admin/software/${SW}/releases`, {
      token: small.adminToken,
      rawBody: randomBytes(8192),
      headers: { 'content-type': 'application/gzip' },
    });
    expect(response.status).toBe(413);
    expect(response.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(response.body.detail).toContain('--max-release-mib');
    expect(response.headers.get('connection')).toBe('close');
  });

  it('refuses a chunked upload (no length) once it passes the limit, leaving no file', async () => {
    const response = await fetch(`${small.url}/v1/admin/software/${SW}/releases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${small.adminToken}`, 'content-type': 'application/gzip' },
      body: Readable.toWeb(Readable.from([gzipSync(randomBytes(3000)), randomBytes(3000)])) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE');
    const incoming = path.join(small.dataDir, 'artifacts', 'incoming');
    expect(await readdir(incoming).catch(() => [])).toEqual([]);
  });
});

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`);
}
