/**
 * Starting the built Electron app as a child process, and telling "it runs" from "it
 * died at once" (missing libraries, a GPU or sandbox problem), so `npm start` can fall
 * back to the web shell and say why.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export type ElectronStart =
  | { ok: true; child: ChildProcess; exited: Promise<{ code: number | null; signal: string | null }> }
  | { ok: false; reason: string };

/** Lines of Electron's stderr worth quoting: the last non-empty ones. */
function lastLines(text: string, count: number): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-count)
    .join(' | ');
}

export async function startElectron(
  binary: string,
  mainScript: string,
  args: string[],
  options: { settleMs?: number } = {},
): Promise<ElectronStart> {
  const env = { ...process.env };
  // Set by some tools; it would make Electron behave as plain Node.
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(binary, [mainScript, ...args], { stdio: ['ignore', 'inherit', 'pipe'], env });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const failedToSpawn = new Promise<Error>((resolve) => child.once('error', resolve));

  const settled = await Promise.race([
    exited.then((result) => ({ kind: 'exited' as const, ...result })),
    failedToSpawn.then((error) => ({ kind: 'error' as const, error })),
    new Promise<{ kind: 'running' }>((resolve) =>
      setTimeout(() => resolve({ kind: 'running' }), options.settleMs ?? 5000).unref(),
    ),
  ]);
  if (settled.kind === 'error')
    return { ok: false, reason: `Electron could not be started (${settled.error.message})` };
  if (settled.kind === 'exited' && (settled.code !== 0 || settled.signal !== null)) {
    const said = lastLines(stderr, 2);
    const how = settled.signal ? `was killed by ${settled.signal}` : `exited with code ${settled.code}`;
    return { ok: false, reason: `Electron ${how} right after starting${said ? `: ${said}` : ''}` };
  }
  return { ok: true, child, exited };
}
