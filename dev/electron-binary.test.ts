/**
 * Finding Electron without `require('electron')` (which would try to download it), and
 * saying in one clause why it cannot start when it cannot.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { electronLaunchability, findElectronBinary } from './electron-binary.ts';

let root: string;

async function fakeElectronPackage(name: string, options: { binary?: string; pathTxt?: string } = {}) {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), '{"name":"electron","version":"45.4.1"}');
  if (options.pathTxt !== undefined) await writeFile(path.join(dir, 'path.txt'), options.pathTxt);
  if (options.binary !== undefined) {
    await mkdir(path.join(dir, 'dist'), { recursive: true });
    const file = path.join(dir, 'dist', options.binary);
    await writeFile(file, '#!/bin/sh\n');
    await chmod(file, 0o755);
  }
  return dir;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'keyport-electron-binary-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('findElectronBinary', () => {
  const here = findElectronBinary();

  it.skipIf('path' in here)('in this checkout: the binary is not downloaded, and says how to get it', () => {
    expect(here).toEqual({ missing: expect.stringContaining('the Electron binary is not downloaded') });
    expect('missing' in here && here.missing).toContain('npx install-electron');
    expect('missing' in here && here.missing).toContain(path.join('node_modules', 'electron', 'dist'));
  });

  it('reports a package without dist/ as not downloaded', async () => {
    const packageDir = await fakeElectronPackage('no-dist');
    const found = findElectronBinary({ packageDir, env: {}, platform: 'linux' });
    expect(found).toEqual({ missing: expect.stringMatching(/not downloaded .*npx install-electron/) });
  });

  it('finds dist/electron on Linux, named by path.txt when present', async () => {
    const plain = await fakeElectronPackage('plain', { binary: 'electron' });
    expect(findElectronBinary({ packageDir: plain, env: {}, platform: 'linux' })).toEqual({
      path: path.join(plain, 'dist', 'electron'),
    });
    const named = await fakeElectronPackage('named', {
      binary: 'custom-electron',
      pathTxt: 'custom-electron',
    });
    expect(findElectronBinary({ packageDir: named, env: {}, platform: 'linux' })).toEqual({
      path: path.join(named, 'dist', 'custom-electron'),
    });
  });

  it('reports a dist/ without the executable as incomplete', async () => {
    const packageDir = await fakeElectronPackage('incomplete', { binary: 'something-else' });
    const found = findElectronBinary({ packageDir, env: {}, platform: 'linux' });
    expect(found).toEqual({ missing: expect.stringContaining('incomplete') });
  });

  it('honours ELECTRON_OVERRIDE_DIST_PATH, and says when it points at nothing', async () => {
    const packageDir = await fakeElectronPackage('override');
    const elsewhere = await fakeElectronPackage('elsewhere', { binary: 'electron' });
    const dist = path.join(elsewhere, 'dist');
    expect(
      findElectronBinary({ packageDir, env: { ELECTRON_OVERRIDE_DIST_PATH: dist }, platform: 'linux' }),
    ).toEqual({
      path: path.join(dist, 'electron'),
    });
    const empty = path.join(root, 'empty-dist');
    await mkdir(empty, { recursive: true });
    expect(
      findElectronBinary({ packageDir, env: { ELECTRON_OVERRIDE_DIST_PATH: empty }, platform: 'linux' }),
    ).toEqual({ missing: expect.stringContaining('ELECTRON_OVERRIDE_DIST_PATH') });
  });

  it('says so when the electron package itself is not installed', () => {
    expect(findElectronBinary({ packageDir: null })).toEqual({
      missing: expect.stringContaining('npm install'),
    });
  });
});

describe('electronLaunchability', () => {
  it('gives the first reason Electron cannot start: binary, then display, then root', async () => {
    const packageDir = await fakeElectronPackage('launchable', { binary: 'electron' });
    const noBinary = await fakeElectronPackage('not-launchable');
    expect(electronLaunchability({ packageDir: noBinary, env: {}, platform: 'linux', uid: 1000 })).toEqual({
      missing: expect.stringContaining('not downloaded'),
    });
    expect(electronLaunchability({ packageDir, env: {}, platform: 'linux', uid: 1000 })).toEqual({
      missing: expect.stringContaining('no display'),
    });
    expect(electronLaunchability({ packageDir, env: { DISPLAY: ':0' }, platform: 'linux', uid: 0 })).toEqual({
      missing: expect.stringContaining('root'),
    });
    expect(
      electronLaunchability({ packageDir, env: { DISPLAY: ':0' }, platform: 'linux', uid: 1000 }),
    ).toEqual({
      path: path.join(packageDir, 'dist', 'electron'),
    });
  });
});
