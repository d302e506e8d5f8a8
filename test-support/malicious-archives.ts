/**
 * Hand-built `.tar.gz` packages for installer tests. tar's high-level `create` refuses
 * to write most of these (absolute paths, `..`, devices), so each entry gets a raw
 * 512-byte ustar header from tar's low-level `Header`, its body padded to 512 bytes,
 * and the two zero blocks that end an archive, then gzip.
 */
import { gzipSync } from 'node:zlib';
import { Header, type HeaderData } from 'tar';

export interface RawEntry {
  path: string;
  type?: NonNullable<HeaderData['type']>;
  linkpath?: string;
  /** Written after the header; for files and meta records (PAX, GNU long names). */
  body?: string | Buffer;
  /** The header's size field, when it should differ from the body's length. */
  size?: number;
  mode?: number;
}

/** Bytes put into the tar stream exactly as given (a lone zero block, trailing data). */
export interface RawBytes {
  raw: Buffer;
}

const BLOCK = 512;
const WITH_BODY = new Set([
  'File',
  'ExtendedHeader',
  'GlobalExtendedHeader',
  'NextFileHasLongPath',
  'NextFileHasLongLinkpath',
]);

/** The tar bytes for `entries`, exactly as given (no normalising, no safety). */
export function rawTar(entries: (RawEntry | RawBytes)[], options: { end?: boolean } = {}): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    if ('raw' in entry) {
      blocks.push(entry.raw);
      continue;
    }
    const type = entry.type ?? 'File';
    const body = Buffer.from(entry.body ?? '');
    const header = new Header({
      path: entry.path,
      type,
      linkpath: entry.linkpath,
      size: entry.size ?? (WITH_BODY.has(type) ? body.length : 0),
      mode: entry.mode ?? (type === 'Directory' ? 0o755 : 0o644),
      uid: 0,
      gid: 0,
      uname: '',
      gname: '',
      mtime: new Date(0),
      devmaj: 0,
      devmin: 0,
    });
    const block = Buffer.alloc(BLOCK);
    // needPax means a field did not fit the plain ustar header (or is not ASCII, which
    // ustar holds as UTF-8 bytes anyway); keep test paths short instead.
    const needPax = header.encode(block, 0);
    if (needPax && Buffer.byteLength(entry.path) > 100) {
      throw new Error(`${entry.path}: too long for a plain ustar header`);
    }
    blocks.push(block);
    if (body.length > 0) blocks.push(body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK));
  }
  if (options.end !== false) blocks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(blocks);
}

/** A PAX record block body: `<length> <key>=<value>\n` for each pair. */
export function paxRecords(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([key, value]) => {
      const rest = ` ${key}=${value}\n`;
      let length = Buffer.byteLength(rest);
      length += String(length + String(length).length).length;
      return `${length}${rest}`;
    })
    .join('');
}

export function rawTarGz(entries: (RawEntry | RawBytes)[], options: { end?: boolean } = {}): Buffer {
  return gzipSync(rawTar(entries, options));
}

/** A valid package around whatever `extra` holds, so the extra entries alone decide the outcome. */
export function packageWith(extra: (RawEntry | RawBytes)[], version = '1.0.0'): Buffer {
  return gzipSync(packageTar(extra, version));
}

/** The tar (not gzip'd) of packageWith. */
export function packageTar(
  extra: (RawEntry | RawBytes)[],
  version = '1.0.0',
  options: { end?: boolean } = {},
): Buffer {
  return rawTar(
    [
      { path: 'keyport.json', body: JSON.stringify({ version, entry: 'main.mjs', name: 'Evil' }) },
      { path: 'main.mjs', body: 'console.log("hello");\n', mode: 0o755 },
      ...extra,
    ],
    options,
  );
}

export interface MaliciousCase {
  name: string;
  /** Part of the entry path the refusal must name. */
  names: string;
  archive: Buffer;
}

/**
 * Every way a package could try to land or point outside its install folder. Paths
 * climb two levels (`../../`) as well: from `<root>/.staging-x/` that reaches the
 * folder holding the install root, where the tests keep their sentinel.
 */
export function maliciousCases(): MaliciousCase[] {
  const cases: Array<[string, string, RawEntry[]]> = [
    ['dot-dot file', '../escape', [{ path: '../escape', body: 'pwned' }]],
    ['dot-dot two levels', '../../outside/pwned', [{ path: '../../outside/pwned', body: 'pwned' }]],
    ['absolute path', '/abs/path', [{ path: '/abs/path', body: 'pwned' }]],
    ['dot-dot in the middle', 'a/../../x', [{ path: 'a/../../x', body: 'pwned' }]],
    ['symlink to /etc/passwd', 'passwd', [{ path: 'passwd', type: 'SymbolicLink', linkpath: '/etc/passwd' }]],
    [
      'symlink climbing out',
      'outside-link',
      [{ path: 'outside-link', type: 'SymbolicLink', linkpath: '../../outside' }],
    ],
    [
      'symlink chain',
      'lib/up',
      [
        { path: 'lib', type: 'SymbolicLink', linkpath: '.' },
        { path: 'lib/up', type: 'SymbolicLink', linkpath: '..' },
        { path: 'lib/up/x', body: 'pwned' },
      ],
    ],
    [
      'symlink replacing an extracted folder',
      'x: the archive holds this name twice',
      [
        { path: 'x/', type: 'Directory' },
        { path: 'real', type: 'Directory' },
        { path: 'x', type: 'SymbolicLink', linkpath: 'real' },
        { path: 'x/pwned', body: 'pwned' },
      ],
    ],
    [
      'hard link climbing two levels',
      'hard2',
      [{ path: 'hard2', type: 'Link', linkpath: '../../outside/sentinel.txt' }],
    ],
    ['hard link climbing out', 'hard', [{ path: 'hard', type: 'Link', linkpath: '../outside/sentinel.txt' }]],
    [
      'hard link to /etc/passwd',
      'hardpasswd',
      [{ path: 'hardpasswd', type: 'Link', linkpath: '/etc/passwd' }],
    ],
    [
      'file through an extracted symlink folder',
      'dir/pwned',
      [
        { path: 'real', type: 'Directory' },
        { path: 'dir', type: 'SymbolicLink', linkpath: 'real' },
        { path: 'dir/pwned', body: 'pwned' },
      ],
    ],
    [
      'file through a symlink folder pointing out',
      'out',
      [
        { path: 'out', type: 'SymbolicLink', linkpath: '../../outside' },
        { path: 'out/pwned', body: 'pwned' },
      ],
    ],
    [
      'hard link to a symlink',
      'hl',
      [
        { path: 'sub', type: 'Directory' },
        { path: 'sub/s', type: 'SymbolicLink', linkpath: '..' },
        { path: 'hl', type: 'Link', linkpath: 'sub/s' },
      ],
    ],
    ['character device', 'null', [{ path: 'null', type: 'CharacterDevice' }]],
    ['block device', 'disk', [{ path: 'disk', type: 'BlockDevice' }]],
    ['FIFO', 'pipe', [{ path: 'pipe', type: 'FIFO' }]],
    // tar's parser skips types it does not know; the installer must notice, not skip them too.
    ['entry type the parser skips', 'sparse', [{ path: 'sparse', type: 'SparseFile' }]],
  ];
  return cases.map(([name, names, extra]) => ({ name, names, archive: packageWith(extra) }));
}

/**
 * Archives whose meaning depends on the extractor (issue 12): each one is read
 * differently by node-tar, GNU tar and Python's tarfile, so both the provider and
 * the installer must refuse it. `names` is part of the sentence the refusal must say.
 */
export function ambiguousCases(): MaliciousCase[] {
  const innocent: RawEntry = { path: 'readme.txt', body: 'hello' };
  const pax = (pairs: Record<string, string>, global = false): RawEntry => ({
    path: global ? 'pax_global_header' : 'PaxHeader/readme.txt',
    type: global ? 'GlobalExtendedHeader' : 'ExtendedHeader',
    body: paxRecords(pairs),
  });
  const longName = (name: string): RawEntry => ({
    path: '././@LongLink',
    type: 'NextFileHasLongPath',
    body: `${name}\0`,
  });
  const zeroBlock = { raw: Buffer.alloc(BLOCK) };
  const tars: [string, string, Buffer][] = [
    [
      'global header renaming later entries',
      'a global PAX header sets "path"',
      packageTar([pax({ path: '../x' }, true), innocent]),
    ],
    [
      'global header re-targeting links',
      'a global PAX header sets "linkpath"',
      packageTar([pax({ linkpath: '/etc' }, true), innocent]),
    ],
    [
      'global header resizing entries',
      'a global PAX header sets "size"',
      packageTar([pax({ size: '0' }, true), innocent]),
    ],
    [
      'PAX path that disagrees with the header',
      'evil.txt: its long path disagrees',
      packageTar([pax({ path: 'evil.txt' }), innocent]),
    ],
    [
      'GNU long name that disagrees with the header',
      'other.txt: its long path disagrees',
      packageTar([longName('other.txt'), innocent]),
    ],
    [
      'PAX and GNU long names that disagree',
      'its PAX path and GNU long path disagree',
      packageTar([pax({ path: 'readme.txt' }), longName('readme.txt.evil'), innocent]),
    ],
    [
      'two PAX headers for one entry',
      'two PAX records',
      packageTar([pax({ path: 'readme.txt' }), pax({ path: 'readme.txt' }), innocent]),
    ],
    [
      'PAX size that disagrees with the header',
      'its PAX size (0) disagrees',
      packageTar([pax({ size: '0' }), innocent]),
    ],
    [
      'a PAX header with no entry after it',
      'not followed by an entry',
      packageTar([innocent, pax({ path: 'late.txt' })]),
    ],
    [
      'duplicate entry names',
      'readme.txt: the archive holds this name twice',
      packageTar([innocent, { path: './readme.txt', body: 'evil' }]),
    ],
    [
      'names that differ only by case',
      'README.txt: the archive holds this name twice',
      packageTar([innocent, { path: 'README.txt', body: 'evil' }]),
    ],
    [
      'names that differ only by Unicode normalisation',
      'the archive holds this name twice',
      packageTar([
        { path: 'caf\u00e9.txt', body: 'a' },
        { path: 'cafe\u0301.txt', body: 'b' },
      ]),
    ],
    [
      'an entry after the end-of-archive marker',
      'data after the end-of-archive marker',
      Buffer.concat([packageTar([]), rawTar([{ path: 'late.txt', body: 'late' }])]),
    ],
    ['a lone zero block before more entries', 'a lone zero block', packageTar([zeroBlock, innocent])],
    [
      'a folder carrying data',
      'a folder entry may not carry data',
      packageTar([{ path: 'dir', type: 'Directory', size: 5 }, { raw: Buffer.alloc(BLOCK, 0x41) }]),
    ],
    [
      'a name that is not UTF-8',
      'is not UTF-8',
      packageTar([
        {
          path: 'x',
          type: 'ExtendedHeader',
          body: Buffer.concat([Buffer.from('13 path=caf'), Buffer.from([0xe9]), Buffer.from('\n')]),
        },
        { path: 'caf_', body: 'x' },
      ]),
    ],
  ];
  const cases = tars.map(([name, names, tar]) => ({ name, names, archive: gzipSync(tar) }));
  // zlib skips zeros after the last gzip member and stops at anything else; gzip(1) warns.
  const afterGzip: [string, Buffer, string][] = [
    ['zeros after the end of the gzip stream', Buffer.alloc(1024), 'data after the end of the gzip stream'],
    ['bytes after the end of the gzip stream', Buffer.from('trailing bytes'), 'not valid gzip data'],
  ];
  for (const [name, tail, names] of afterGzip) {
    cases.push({ name, names, archive: Buffer.concat([gzipSync(packageTar([innocent])), tail]) });
  }
  return cases;
}

/**
 * A decompression bomb's head: one entry whose header claims `size` bytes, followed by
 * only a little of its data, so a reader that does not refuse at the header would fail
 * as "damaged" (cut short) instead of "too large".
 */
export function bombHead(size: number): Buffer {
  return gzipSync(
    Buffer.concat([
      packageTar([{ path: 'bomb.bin', size }], '1.0.0', { end: false }),
      Buffer.alloc(64 * 1024),
    ]),
  );
}
