/**
 * Telling an Electron that runs from one that dies at once, with stand-in executables
 * (the real binary is not needed to check this logic).
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startElectron } from './electron-process.ts';

let dir: string;

async function script(name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'keyport-electron-process-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(process.platform === 'win32')('startElectron', () => {
  it('reports an Electron that exits at once, quoting what it said', async () => {
    const binary = await script(
      'dies',
      'echo "electron: error while loading shared libraries: libnss3.so: cannot open shared object file" >&2; exit 127',
    );
    const started = await startElectron(binary, 'out/main/index.js', [], { settleMs: 3000 });
    expect(started).toEqual({
      ok: false,
      reason: expect.stringMatching(/exited with code 127 right after starting: .*libnss3\.so/),
    });
  });

  it('reports an executable that cannot be started at all', async () => {
    const started = await startElectron(path.join(dir, 'does-not-exist'), 'x.js', [], { settleMs: 3000 });
    expect(started).toEqual({ ok: false, reason: expect.stringContaining('could not be started') });
  });

  it('treats an Electron still running after the settle time as started, and passes the arguments', async () => {
    const argsFile = path.join(dir, 'args.txt');
    const binary = await script('runs', `echo "$@" > "${argsFile}"; exec sleep 30`);
    const started = await startElectron(binary, 'out/main/index.js', ['--profile', '/p'], { settleMs: 300 });
    expect(started.ok).toBe(true);
    if (!started.ok) return;
    started.child.kill('SIGTERM');
    expect(await started.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect((await readFile(argsFile, 'utf8')).trim()).toBe('out/main/index.js --profile /p');
  });
});
