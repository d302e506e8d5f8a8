/**
 * The tar entry rules shared by the provider's upload check and the app's installer:
 * nothing may land, or point, outside the package folder.
 */
import { describe, expect, it } from 'vitest';
import {
  normaliseEntryPath,
  unsafeEntryReason,
  unsafeLinkReason,
  type ArchiveEntry,
} from './archive-safety.ts';

describe('normaliseEntryPath', () => {
  it.each([
    ['main.mjs', 'main.mjs'],
    ['./main.mjs', 'main.mjs'],
    ['bin/tool', 'bin/tool'],
    ['./bin/tool', 'bin/tool'],
    ['bin/', 'bin'],
    ['./bin/', 'bin'],
    ['bin//tool', 'bin/tool'],
    ['bin/./tool', 'bin/tool'],
    ['bin/sub/../tool', 'bin/tool'],
    ['bin\\tool', 'bin/tool'],
    ['.\\bin\\tool', 'bin/tool'],
    ['keyport.json', 'keyport.json'],
  ])('%j → %j', (input, expected) => {
    expect(normaliseEntryPath(input)).toBe(expected);
  });

  it('keeps a climb out visible, so callers can refuse it', () => {
    expect(normaliseEntryPath('../x')).toBe('../x');
    expect(normaliseEntryPath('a/../../x')).toBe('../x');
  });
});

describe('unsafeEntryReason', () => {
  const safe: ArchiveEntry[] = [
    { path: 'main.mjs', type: 'File' },
    { path: './main.mjs', type: 'File' },
    { path: 'bin/tool', type: 'File' },
    { path: 'bin/', type: 'Directory' },
    { path: './', type: 'Directory' },
    { path: 'legacy.txt', type: 'OldFile' },
    { path: 'contiguous.bin', type: 'ContiguousFile' },
    { path: 'my..file', type: 'File' },
    { path: '..hidden', type: 'File' },
    { path: 'link', type: 'SymbolicLink', linkpath: 'main.mjs' },
    { path: 'bin/link', type: 'SymbolicLink', linkpath: '../main.mjs' },
    { path: 'bin/up', type: 'SymbolicLink', linkpath: '..' },
    { path: 'a/b/link', type: 'SymbolicLink', linkpath: '../../main.mjs' },
    { path: 'hard', type: 'Link', linkpath: 'main.mjs' },
    { path: 'bin/hard', type: 'Link', linkpath: 'bin/tool' },
  ];
  it.each(safe)('allows $type $path', (entry) => {
    expect(unsafeEntryReason(entry)).toBeNull();
  });

  const unsafe: Array<[ArchiveEntry, RegExp]> = [
    // climbing out
    [{ path: '../evil', type: 'File' }, /\.\./],
    [{ path: 'a/../../evil', type: 'File' }, /\.\./],
    [{ path: 'a/../b', type: 'File' }, /\.\./],
    [{ path: '..', type: 'Directory' }, /\.\./],
    [{ path: '..\\evil', type: 'File' }, /\.\./],
    [{ path: 'a\\..\\..\\evil', type: 'File' }, /\.\./],
    // absolute paths
    [{ path: '/etc/passwd', type: 'File' }, /absolute/],
    [{ path: '/', type: 'Directory' }, /absolute/],
    [{ path: 'C:/Windows/evil.dll', type: 'File' }, /absolute/],
    [{ path: 'c:evil', type: 'File' }, /absolute/],
    [{ path: 'C:\\Windows\\evil.dll', type: 'File' }, /absolute/],
    [{ path: '\\\\server\\share\\evil', type: 'File' }, /absolute/],
    // NUL
    [{ path: 'main.mjs\0.txt', type: 'File' }, /NUL/],
    // links pointing outside
    [{ path: 'link', type: 'SymbolicLink', linkpath: '../../etc/passwd' }, /outside/],
    [{ path: 'link', type: 'SymbolicLink', linkpath: '..' }, /outside/],
    [{ path: 'bin/link', type: 'SymbolicLink', linkpath: '../../x' }, /outside/],
    [{ path: 'bin/link', type: 'SymbolicLink', linkpath: 'sub/../../../x' }, /outside/],
    [{ path: 'link', type: 'SymbolicLink', linkpath: '/etc/passwd' }, /absolute/],
    [{ path: 'link', type: 'SymbolicLink', linkpath: 'C:\\Windows' }, /absolute/],
    [{ path: 'link', type: 'SymbolicLink', linkpath: '\\etc\\passwd' }, /absolute/],
    [{ path: 'link', type: 'SymbolicLink', linkpath: '' }, /absolute|empty/],
    [{ path: 'link', type: 'SymbolicLink' }, /absolute|empty/],
    [{ path: 'hard', type: 'Link', linkpath: '../../etc/passwd' }, /outside/],
    // hard-link targets are relative to the package root, not the link's folder
    [{ path: 'bin/hard', type: 'Link', linkpath: '../main.mjs' }, /outside/],
    [{ path: 'hard', type: 'Link', linkpath: '/etc/passwd' }, /absolute/],
    // special files
    [{ path: 'dev/tty', type: 'CharacterDevice' }, /CharacterDevice/],
    [{ path: 'dev/sda', type: 'BlockDevice' }, /BlockDevice/],
    [{ path: 'pipe', type: 'FIFO' }, /FIFO/],
    [{ path: 'weird', type: 'SomethingElse' }, /not allowed/],
  ];
  it.each(unsafe)('refuses %j', (entry, reason) => {
    const result = unsafeEntryReason(entry);
    expect(result).not.toBeNull();
    expect(result).toMatch(reason);
    // The reason names the entry, so the uploader knows which one to fix.
    expect(result).toContain(entry.path);
  });
});

describe('unsafeLinkReason (links taken together)', () => {
  const file = (p: string): ArchiveEntry => ({ path: p, type: 'File' });
  const dir = (p: string): ArchiveEntry => ({ path: p, type: 'Directory' });
  const symlink = (p: string, linkpath: string): ArchiveEntry => ({
    path: p,
    type: 'SymbolicLink',
    linkpath,
  });
  const hardlink = (p: string, linkpath: string): ArchiveEntry => ({ path: p, type: 'Link', linkpath });

  it.each<[string, ArchiveEntry[]]>([
    ['no links', [file('main.mjs'), dir('bin/'), file('bin/tool')]],
    ['a symlink to a file', [file('main.mjs'), symlink('run', 'main.mjs')]],
    ['a symlink to a folder', [dir('lib/'), file('lib/x'), symlink('current', 'lib')]],
    ['a symlink to a symlink', [file('main.mjs'), symlink('a', 'main.mjs'), symlink('b', 'a')]],
    ['a symlink up into the package', [dir('a/'), dir('a/b/'), symlink('a/b/up', '..'), file('a/x')]],
    ['a hard link to a file', [file('bin/tool'), hardlink('tool', 'bin/tool')]],
    ['a name that merely starts like a symlink', [symlink('lib', '.'), file('library/x')]],
  ])('allows %s', (_name, entries) => {
    for (const entry of entries) expect(unsafeEntryReason(entry)).toBeNull();
    expect(unsafeLinkReason(entries)).toBeNull();
  });

  it.each<[string, ArchiveEntry[], string]>([
    [
      'a file written through a symlinked folder',
      [symlink('lib', '.'), symlink('lib/up', '..'), file('lib/up/evil')],
      'lib/up',
    ],
    [
      'the same, file first',
      [file('lib/up/evil'), symlink('lib', '.'), symlink('lib/up', '..')],
      'lib/up/evil',
    ],
    ['a folder under a symlink', [symlink('out', 'bin'), dir('bin/'), dir('out/sub/')], 'out/sub/'],
    ['a symlink target through a symlink', [symlink('lib', '.'), symlink('escape', 'lib/..')], 'escape'],
    [
      'a hard link target through a symlink',
      [symlink('lib', 'bin'), file('bin/x'), hardlink('h', 'lib/x')],
      'h',
    ],
    ['a hard link to a symlink', [symlink('a/b/up', '..'), hardlink('up', 'a/b/up')], 'up'],
  ])('refuses %s', (_name, entries, culprit) => {
    for (const entry of entries) expect(unsafeEntryReason(entry)).toBeNull();
    const reason = unsafeLinkReason(entries);
    expect(reason).not.toBeNull();
    expect(reason!.startsWith(`${culprit}:`)).toBe(true);
  });
});
