/**
 * A strict, incremental reader of tar headers: it is fed the decompressed bytes of a
 * package as they stream in and says what every entry is, without writing anything.
 *
 * Strict because extractors disagree on corner cases of the format, and a package's
 * meaning must not depend on which one a user runs (the app, GNU tar, Python's
 * tarfile, libarchive). So every archive whose meaning is extractor-dependent is
 * refused: a global header that renames or resizes entries, a PAX or GNU long name
 * that disagrees with the entry's own header, two meta records of one kind for one
 * entry, duplicate entry names (also when they differ only by case or Unicode
 * normalisation, which collide on macOS and Windows), anything after the end-of-archive
 * marker, a lone zero block, data in links or folders, names that are not UTF-8.
 *
 * And bounded: entry count, each entry's size and the total expanded size are checked
 * from the headers as they arrive, so a decompression bomb is refused after reading
 * at most the limit, never after writing it.
 */
import { ArchiveRefusal, normaliseEntryPath, type ArchiveLimits } from './archive-safety.ts';

const BLOCK = 512;
/** PAX and GNU long-name records are a path or two; anything bigger is not one. */
const MAX_META_BYTES = 64 * 1024;
/** Writers pad the archive to their record size (10 KiB for GNU tar); more zeros are not padding. */
const MAX_TRAILING_ZERO_BYTES = 1024 * 1024;

export type TarEntryType = 'File' | 'ContiguousFile' | 'Directory' | 'SymbolicLink' | 'Link';

export interface TarEntry {
  path: string;
  type: TarEntryType;
  linkpath?: string;
  size: number;
  mode: number;
}

/** Return a sink for the entry's bytes to receive them; the reader skips them otherwise. */
export type OnTarEntry = (entry: TarEntry) => ((chunk: Buffer) => void) | void;

const ENTRY_TYPES: Record<string, TarEntryType> = {
  '0': 'File',
  '\0': 'File',
  '7': 'ContiguousFile',
  '5': 'Directory',
  '2': 'SymbolicLink',
  '1': 'Link',
};
const TYPE_NAMES: Record<string, string> = {
  '3': 'character device',
  '4': 'block device',
  '6': 'FIFO',
  S: 'GNU sparse file',
  D: 'GNU dump directory',
  M: 'GNU multi-volume continuation',
  N: 'GNU old long name',
  V: 'GNU volume label',
};
/** PAX keys that change what or where an entry is; a global header may set none of them. */
const ENTRY_SHAPING_KEYS = new Set(['path', 'linkpath', 'size', 'hdrcharset']);

interface PendingMeta {
  pax?: Map<string, string>;
  longName?: Buffer;
  longLink?: Buffer;
}

type State =
  | { kind: 'header' }
  | { kind: 'meta'; type: 'x' | 'g' | 'L' | 'K'; remaining: number; padding: number; parts: Buffer[] }
  | { kind: 'data'; remaining: number; padding: number; sink: ((chunk: Buffer) => void) | undefined }
  | { kind: 'ended'; trailingBytes: number };

export class StrictTarReader {
  private state: State = { kind: 'header' };
  private carry: Buffer = Buffer.alloc(0);
  private zeroBlocks = 0;
  private meta: PendingMeta = {};
  private readonly seen = new Set<string>();
  private entries = 0;
  private expandedBytes = 0;

  constructor(
    private readonly limits: ArchiveLimits,
    private readonly onEntry: OnTarEntry,
  ) {}

  /** Totals so far: entries (not meta records) and the bytes they expand to. */
  get totals(): { entries: number; expandedBytes: number } {
    return { entries: this.entries, expandedBytes: this.expandedBytes };
  }

  /** Whether the end-of-archive marker has been read. */
  get ended(): boolean {
    return this.state.kind === 'ended';
  }

  write(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      const state = this.state;
      if (state.kind === 'data' || state.kind === 'meta') {
        offset = this.consumeBody(state, chunk, offset);
      } else if (state.kind === 'ended') {
        for (let i = offset; i < chunk.length; i++) {
          if (chunk[i] !== 0) throw unsafe('there is data after the end-of-archive marker');
        }
        state.trailingBytes += chunk.length - offset;
        if (state.trailingBytes > MAX_TRAILING_ZERO_BYTES) {
          throw unsafe('there is data after the end-of-archive marker');
        }
        return;
      } else {
        const needed = BLOCK - this.carry.length;
        const piece = chunk.subarray(offset, offset + needed);
        offset += piece.length;
        if (piece.length < needed) {
          this.carry = Buffer.concat([this.carry, piece]);
          return;
        }
        const block = this.carry.length ? Buffer.concat([this.carry, piece]) : piece;
        this.carry = Buffer.alloc(0);
        this.readHeader(block);
      }
    }
  }

  /** The stream has ended: it must have ended with the end-of-archive marker. */
  end(): void {
    if (this.state.kind === 'ended') return;
    if (
      this.state.kind === 'header' &&
      this.carry.length === 0 &&
      this.zeroBlocks === 0 &&
      this.entries === 0
    ) {
      throw damaged('the archive is empty');
    }
    throw damaged('the archive is cut short (it has no end-of-archive marker)');
  }

  private consumeBody(
    state: Extract<State, { kind: 'data' | 'meta' }>,
    chunk: Buffer,
    offset: number,
  ): number {
    if (state.remaining > 0) {
      const piece = chunk.subarray(offset, offset + state.remaining);
      state.remaining -= piece.length;
      if (state.kind === 'meta') state.parts.push(Buffer.from(piece));
      else state.sink?.(piece);
      offset += piece.length;
      if (state.remaining > 0) return offset;
    }
    const skipped = Math.min(state.padding, chunk.length - offset);
    state.padding -= skipped;
    offset += skipped;
    if (state.padding === 0) {
      if (state.kind === 'meta') this.finishMeta(state.type, Buffer.concat(state.parts));
      this.state = { kind: 'header' };
    }
    return offset;
  }

  private readHeader(block: Buffer): void {
    if (block.every((byte) => byte === 0)) {
      this.zeroBlocks += 1;
      if (this.zeroBlocks === 2) {
        if (hasMeta(this.meta)) throw unsafe('a PAX or long-name record is not followed by an entry');
        this.state = { kind: 'ended', trailingBytes: 0 };
      }
      return;
    }
    // GNU tar stops at one zero block only with --ignore-zeros; others read on. Ambiguous.
    if (this.zeroBlocks > 0) throw unsafe('a lone zero block is followed by more entries');
    if (!checksumMatches(block)) throw damaged('a header checksum does not match (the archive is damaged)');

    const typeflag = String.fromCharCode(block[156]!);
    const size = readNumber(block, 124, 12, 'size');
    const padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      if (size > MAX_META_BYTES) throw unsafe(`a ${metaName(typeflag)} record is ${size} bytes long`);
      this.state = { kind: 'meta', type: typeflag, remaining: size, padding, parts: [] };
      if (size === 0) this.consumeBody(this.state, Buffer.alloc(0), 0);
      return;
    }
    const entry = this.describe(block, typeflag, size);
    const sink = this.onEntry(entry) ?? undefined;
    this.state = { kind: 'data', remaining: size, padding, sink };
    if (size === 0 && padding === 0) this.state = { kind: 'header' };
  }

  private describe(block: Buffer, typeflag: string, headerSize: number): TarEntry {
    const meta = this.meta;
    this.meta = {};
    const nameField = field(block, 0, 100);
    const prefix = isPosixUstar(block) ? field(block, 345, 155) : Buffer.alloc(0);
    const ownName = prefix.length ? Buffer.concat([prefix, Buffer.from('/'), nameField]) : nameField;
    const paxPath = meta.pax?.get('path');
    const path = chooseName('path', ownName, nameField, paxPath, meta.longName);

    const type = ENTRY_TYPES[typeflag];
    if (!type) {
      const what = TYPE_NAMES[typeflag] ?? `type "${printable(typeflag)}"`;
      throw unsafe(`${path}: ${what} entries are not allowed`);
    }
    const linkField = field(block, 157, 100);
    const linkpath =
      type === 'SymbolicLink' || type === 'Link'
        ? chooseName('link target', linkField, linkField, meta.pax?.get('linkpath'), meta.longLink)
        : undefined;

    const paxSize = meta.pax?.get('size');
    if (paxSize !== undefined && paxSize !== String(headerSize)) {
      throw unsafe(`${path}: its PAX size (${paxSize}) disagrees with its header (${headerSize})`);
    }
    if (headerSize > 0 && type !== 'File' && type !== 'ContiguousFile') {
      throw unsafe(`${path}: a ${type === 'Directory' ? 'folder' : 'link'} entry may not carry data`);
    }

    const key = normaliseEntryPath(path).normalize('NFC').toLowerCase();
    if (key !== '' && key !== '.') {
      if (this.seen.has(key)) throw unsafe(`${path}: the archive holds this name twice`);
      this.seen.add(key);
    }

    this.entries += 1;
    if (this.entries > this.limits.maxEntries) {
      throw tooLarge(`the archive holds more than ${this.limits.maxEntries} entries`);
    }
    if (headerSize > this.limits.maxEntryBytes) {
      throw tooLarge(
        `${path} expands to ${headerSize} bytes, more than the ${this.limits.maxEntryBytes} allowed per file`,
      );
    }
    this.expandedBytes += headerSize;
    if (this.expandedBytes > this.limits.maxExpandedBytes) {
      throw tooLarge(`the archive expands to more than the ${this.limits.maxExpandedBytes} bytes allowed`);
    }
    const mode = readNumber(block, 100, 8, 'mode');
    return { path, type, ...(linkpath !== undefined ? { linkpath } : {}), size: headerSize, mode };
  }

  private finishMeta(type: 'x' | 'g' | 'L' | 'K', body: Buffer): void {
    if (type === 'g') {
      for (const key of parsePax(body).keys()) {
        if (ENTRY_SHAPING_KEYS.has(key) || key.startsWith('GNU.sparse')) {
          throw unsafe(`a global PAX header sets "${key}", which extractors apply differently`);
        }
      }
      return;
    }
    const slot = type === 'x' ? 'pax' : type === 'L' ? 'longName' : 'longLink';
    if (this.meta[slot] !== undefined) throw unsafe(`an entry has two ${metaName(type)} records`);
    if (slot !== 'pax') {
      // GNU long names end in NUL (often several, to the block).
      const end = body.indexOf(0);
      this.meta[slot] = end === -1 ? body : body.subarray(0, end);
    } else {
      const pax = parsePax(body);
      for (const key of pax.keys()) {
        if (key === 'hdrcharset' || key.startsWith('GNU.sparse')) {
          throw unsafe(`a PAX header sets "${key}", which extractors apply differently`);
        }
      }
      this.meta.pax = pax;
    }
  }
}

// ── header fields ─────────────────────────────────────────────────────────

function field(block: Buffer, start: number, length: number): Buffer {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return end === -1 ? raw : raw.subarray(0, end);
}

function isPosixUstar(block: Buffer): boolean {
  // POSIX ustar is "ustar\0" "00"; GNU's "ustar  \0" uses the prefix field for other things.
  return block.toString('latin1', 257, 263) === 'ustar\0';
}

function checksumMatches(block: Buffer): boolean {
  const stored = field(block, 148, 8).toString('latin1').trim();
  if (!/^[0-7]+$/.test(stored)) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  const value = parseInt(stored, 8);
  return value === unsigned || value === signed;
}

/** An octal field, or GNU's base-256 for big values; never negative. */
function readNumber(block: Buffer, start: number, length: number, name: string): number {
  const raw = block.subarray(start, start + length);
  if (raw[0] === 0x80) {
    let value = 0;
    for (let i = 1; i < raw.length; i++) value = value * 256 + raw[i]!;
    if (!Number.isSafeInteger(value)) throw damaged(`a header's ${name} is out of range`);
    return value;
  }
  if ((raw[0]! & 0x80) !== 0) throw damaged(`a header's ${name} is negative`);
  const text = raw
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw damaged(`a header's ${name} is not a number`);
  return parseInt(text, 8);
}

/**
 * The entry's name when its own header, a PAX record and a GNU long-name record may all
 * carry one. Writers put a truncated copy in the header (its first 100 bytes, or a
 * prefix/name split of it), so the header's name must begin the long one; anything
 * else means two extractors would write two different files.
 */
function chooseName(
  what: string,
  ownName: Buffer,
  nameField: Buffer,
  paxName: string | undefined,
  gnuName: Buffer | undefined,
): string {
  const gnu = gnuName === undefined ? undefined : utf8(gnuName, what);
  if (paxName !== undefined && gnu !== undefined && paxName !== gnu) {
    throw unsafe(`${paxName}: its PAX ${what} and GNU long ${what} disagree (${gnu})`);
  }
  const long = paxName ?? gnu;
  if (long === undefined) return utf8(ownName, what);
  const longBytes = Buffer.from(long, 'utf8');
  const begins = (part: Buffer) => longBytes.subarray(0, part.length).equals(part);
  if (ownName.length > 0 && !begins(ownName) && !begins(nameField)) {
    throw unsafe(
      `${long}: its long ${what} disagrees with the header's (${printable(ownName.toString('latin1'))})`,
    );
  }
  return long;
}

function utf8(bytes: Buffer, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw unsafe(`an entry's ${what} is not UTF-8 (${printable(bytes.toString('latin1'))})`);
  }
}

/** PAX records: `<length> <key>=<value>\n`, where length counts the whole record. */
function parsePax(body: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < body.length) {
    if (body[offset] === 0) break; // some writers pad the record block with NULs
    const space = body.indexOf(0x20, offset);
    const length = Number(body.toString('latin1', offset, space));
    if (
      space === -1 ||
      !Number.isInteger(length) ||
      length <= space - offset ||
      offset + length > body.length
    ) {
      throw damaged('a PAX header is malformed');
    }
    const record = body.subarray(space + 1, offset + length);
    if (record[record.length - 1] !== 0x0a) throw damaged('a PAX header is malformed');
    const text = utf8(record.subarray(0, -1), 'PAX record');
    const equals = text.indexOf('=');
    if (equals <= 0) throw damaged('a PAX header is malformed');
    const key = text.slice(0, equals);
    if (records.has(key)) throw unsafe(`a PAX header sets "${key}" twice`);
    records.set(key, text.slice(equals + 1));
    offset += length;
  }
  return records;
}

function hasMeta(meta: PendingMeta): boolean {
  return meta.pax !== undefined || meta.longName !== undefined || meta.longLink !== undefined;
}

function metaName(type: string): string {
  return type === 'x'
    ? 'PAX'
    : type === 'g'
      ? 'global PAX'
      : type === 'L'
        ? 'GNU long-name'
        : 'GNU long-link';
}

function printable(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

const unsafe = (message: string) => new ArchiveRefusal('unsafe', message);
const damaged = (message: string) => new ArchiveRefusal('damaged', message);
const tooLarge = (message: string) => new ArchiveRefusal('too-large', message);
