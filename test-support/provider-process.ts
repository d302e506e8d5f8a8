/**
 * A provider as its own PROCESS: `server/main.ts` run by this Node through tsx, as
 * `npm run server` runs it, on a free loopback port. For what an in-process provider
 * (provider-harness.ts) cannot show: several instances on one database, and a process
 * that is killed outright (SIGKILL) and started again on the same data.
 *
 * The caller owns the data folder (a restart reuses it) and removes it afterwards.
 * The child gets this process's environment without the provider's own settings
 * (DATABASE_URL, KEYPORT_ADMIN_TOKEN, KEYPORT_RATE_LIMITS, …), so what a developer's
 * shell happens to export never changes a test; `env` sets what the test means to set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ApiResponse } from './provider-harness.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');

/** The variables server/main.ts reads (see its USAGE): none leaks in from the caller's shell. */
const PROVIDER_VARIABLES = [
  'DATABASE_URL',
  'PORT',
  'LOG_LEVEL',
  'KEYPORT_ADMIN_TOKEN',
  'KEYPORT_RATE_LIMITS',
  'KEYPORT_DEVICE_LIMIT',
  'KEYPORT_HOST',
  'KEYPORT_PORT',
  'KEYPORT_SEED_DEMO',
  'KEYPORT_DATABASE_POOL_SIZE',
  'KEYPORT_ARTIFACTS_DIR',
  'KEYPORT_TRUST_PROXY',
  'KEYPORT_MAX_RELEASE_MIB',
  'KEYPORT_MAX_EXPANDED_MIB',
  'KEYPORT_MAX_ENTRY_MIB',
  'KEYPORT_MAX_ENTRIES',
];

export interface ProviderProcessOptions {
  /** Names the process in errors. */
  name: string;
  /** `--data`: the caller creates it, and removes it once done (a restart reuses it). */
  dataDir: string;
  /** More arguments: `--database-url`, `--artifacts`, `--device-limit` … */
  args?: string[];
  /** Set (or, with undefined, remove) variables; LOG_LEVEL is `warn` unless set here. */
  env?: Record<string, string | undefined>;
  /** How long to wait for "listening on <url>" (default 45 s). */
  startTimeoutMs?: number;
}

export interface ProcessRequestOptions {
  token?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as-is, as `application/gzip` (a release upload). */
  raw?: Buffer;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ProviderProcess {
  name: string;
  url: string;
  dataDir: string;
  process: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output: string[];
  /** Resolves once the process has exited, however it ended. */
  exited: Promise<void>;
  /** One request; rejects when no answer comes (refused, reset, aborted). */
  api(method: string, route: string, options?: ProcessRequestOptions): Promise<ApiResponse>;
  /** Send `signal` (default SIGKILL) and wait for the process to be gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM unless already gone (SIGKILL after 10 s), and wait for the exit. */
  stop(): Promise<void>;
}

/** One request to `baseUrl`, the response's JSON (or bytes) read in full. */
export async function callProvider(
  baseUrl: string,
  method: string,
  route: string,
  options: ProcessRequestOptions = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | Buffer | undefined;
  if (options.raw) {
    body = options.raw;
    headers['content-type'] = 'application/gzip';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${baseUrl}${route}`, { method, headers, body, signal: options.signal });
  const type = response.headers.get('content-type') ?? '';
  const parsed = type.includes('json') ? await response.json() : Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Start `server/main.ts` as its own process and wait for "listening on <url>". */
export async function startProviderProcess(options: ProviderProcessOptions): Promise<ProviderProcess> {
  const { name, dataDir } = options;
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const variable of PROVIDER_VARIABLES) delete env[variable];
  env.LOG_LEVEL = 'warn';
  for (const [variable, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[variable];
    else env[variable] = value;
  }
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'server/main.ts',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--data',
      dataDir,
      ...(options.args ?? []),
    ],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;

  async function kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (child.pid === undefined) return; // it never started
    if (running()) child.kill(signal);
    await exited;
  }

  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timeoutMs = options.startTimeoutMs ?? 45_000;
      const timer = setTimeout(
        () => reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${output.join('')}`)),
        timeoutMs,
      );
      const onData = () => {
        const match = /listening on (http:\/\/\S+)/.exec(output.join(''));
        if (match) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          resolve(match[1]!);
        }
      };
      child.stdout.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code ?? signal}:\n${output.join('')}`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    return {
      name,
      url,
      dataDir,
      process: child,
      output,
      exited,
      api: (method, route, request) => callProvider(url, method, route, request),
      kill,
      async stop() {
        if (!running()) return;
        const hung = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await kill('SIGTERM');
        clearTimeout(hung);
      },
    };
  } catch (error) {
    await kill('SIGKILL');
    throw error;
  }
}
