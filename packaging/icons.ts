/**
 * Every icon from one source, the brand mark `renderer/public/favicon.svg`: PNGs in the
 * sizes the hicolor theme uses, a Windows `.ico` and a macOS `.icns` (both containers of
 * PNGs), written to build/ where electron-builder looks, and used by the .deb as they are.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { REPO_ROOT } from './paths.ts';

export const ICON_SOURCE = path.join(REPO_ROOT, 'renderer', 'public', 'favicon.svg');
export const ICON_DIR = path.join(REPO_ROOT, 'build');
/** hicolor's usual sizes, up to 512 (1024 is for macOS and electron-builder's icon.png). */
export const HICOLOR_SIZES = [16, 24, 32, 48, 64, 128, 256, 512] as const;
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
/** ICNS entry types holding PNG data, by pixel size. */
const ICNS_TYPES: Array<[string, number]> = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
];

export function renderPng(svg: Buffer, size: number): Buffer {
  return Buffer.from(new Resvg(svg, { fitTo: { mode: 'width', value: size } }).render().asPng());
}

/** An ICO whose images are PNGs (Windows Vista and later read them). */
export function icoFromPngs(images: Array<{ size: number; png: Buffer }>): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // 1 = icon
  header.writeUInt16LE(images.length, 4);
  const entries: Buffer[] = [];
  let offset = 6 + 16 * images.length;
  for (const { size, png } of images) {
    const entry = Buffer.alloc(16);
    entry.writeUInt8(size >= 256 ? 0 : size, 0); // 0 means 256
    entry.writeUInt8(size >= 256 ? 0 : size, 1);
    entry.writeUInt16LE(1, 4); // colour planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(png.length, 8);
    entry.writeUInt32LE(offset, 12);
    entries.push(entry);
    offset += png.length;
  }
  return Buffer.concat([header, ...entries, ...images.map((image) => image.png)]);
}

/** An ICNS: a big-endian length-prefixed list of typed PNG entries. */
export function icnsFromPngs(images: Array<{ type: string; png: Buffer }>): Buffer {
  const chunks = images.map(({ type, png }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + chunks.reduce((sum, chunk) => sum + chunk.length, 0), 4);
  return Buffer.concat([head, ...chunks]);
}

export interface Icons {
  svg: Buffer;
  /** hicolor size → PNG. */
  png: Map<number, Buffer>;
}

export async function makeIcons(): Promise<Icons> {
  const svg = await readFile(ICON_SOURCE);
  const sizes = new Set<number>([...HICOLOR_SIZES, ...ICO_SIZES, ...ICNS_TYPES.map(([, size]) => size)]);
  const png = new Map<number, Buffer>();
  for (const size of sizes) png.set(size, renderPng(svg, size));
  const at = (size: number) => png.get(size)!;

  await mkdir(path.join(ICON_DIR, 'icons'), { recursive: true });
  await writeFile(path.join(ICON_DIR, 'icon.svg'), svg);
  await writeFile(path.join(ICON_DIR, 'icon.png'), at(1024));
  await writeFile(
    path.join(ICON_DIR, 'icon.ico'),
    icoFromPngs(ICO_SIZES.map((size) => ({ size, png: at(size) }))),
  );
  await writeFile(
    path.join(ICON_DIR, 'icon.icns'),
    icnsFromPngs(ICNS_TYPES.map(([type, size]) => ({ type, png: at(size) }))),
  );
  for (const size of HICOLOR_SIZES)
    await writeFile(path.join(ICON_DIR, 'icons', `${size}x${size}.png`), at(size));
  return { svg, png };
}
