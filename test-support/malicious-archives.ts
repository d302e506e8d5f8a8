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
  body?: string | Buffer;
  mode?: number;
}

const BLOCK = 512;

/** The tar bytes for `entries`, exactly as given (no normalising, no safety). */
export function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const type = entry.type ?? 'File';
    const body = Buffer.from(entry.body ?? '');
    const header = new Header({
      path: entry.path,
      type,
      linkpath: entry.linkpath,
      size: type === 'File' ? body.length : 0,
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
    // needPax means a field did not fit the plain ustar header; keep test paths short instead.
    if (header.encode(block, 0)) throw new Error(`${entry.path}: too long for a plain ustar header`);
    blocks.push(block);
    if (type === 'File' && body.length > 0) {
      blocks.push(body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK));
    }
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(blocks);
}

export function rawTarGz(entries: RawEntry[]): Buffer {
  return gzipSync(rawTar(entries));
}

/** A valid package around whatever `extra` holds, so the extra entries alone decide the outcome. */
export function packageWith(extra: RawEntry[], version = '1.0.0'): Buffer {
  return rawTarGz([
    { path: 'keyport.json', body: JSON.stringify({ version, entry: 'main.mjs', name: 'Evil' }) },
    { path: 'main.mjs', body: 'console.log("hello");\n', mode: 0o755 },
    ...extra,
  ]);
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
      'x/pwned',
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
