/**
 * Fetches an installation file (DESIGN §1 flow 3, S32) to disk so that a slow or
 * flaky connection never costs the user the bytes already received:
 *
 * - the body streams to `${destination}.part` and through SHA-256 at the same time,
 *   so memory use does not grow with the file;
 * - a dropped connection, or a `.part` left by an earlier run, is continued with
 *   `Range: bytes=N-` + `If-Range: <etag>`; the sidecar `${destination}.part.json`
 *   remembers which release (ETag + SHA-256) the `.part` belongs to, so bytes of one
 *   release are never spliced onto another;
 * - only a file whose SHA-256 matches the expected one is renamed to `destination`
 *   (invariant 6: a damaged download never reaches the installer).
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { AppError, appErrorFromProblem } from '../../shared/app-api/app-errors.ts';

export interface DownloadProgress {
  receivedBytes: number;
  totalBytes: number | null;
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface DownloadRequest {
  url: string;
  /** e.g. Authorization. */
  headers?: Record<string, string>;
  /** The final file path; partial data goes to `${destination}.part`. */
  destination: string;
  /** If omitted, the X-Checksum-SHA256 (or Digest) response header is used. */
  expectedSha256?: string;
  signal?: AbortSignal;
  /** Throttled: about every 100 ms while bytes arrive, and once at the end. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Failed requests in a row that are tolerated (a request that brought new bytes resets it); default 5. */
  maxAttempts?: number;
  /** First retry delay; it doubles per failure, capped at 4 s. Default 250 ms. */
  retryDelayMs?: number;
  /** A connection that brings no byte for this long counts as dropped. Default 30 s. */
  stallTimeoutMs?: number;
  fetch?: typeof fetch;
}

export interface DownloadResult {
  path: string;
  sha256: string;
  sizeBytes: number;
  /** How many requests continued an existing `.part` (HTTP 206). */
  resumes: number;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const PROGRESS_INTERVAL_MS = 100;
const RATE_WINDOW_MS = 5_000;
const MAX_RETRY_DELAY_MS = 4_000;
/** Restarts from byte 0 (stale or unusable `.part`) before the download is given up. */
const MAX_RESTARTS = 3;
/** Error codes (of `fetch failed` causes) that mean the provider cannot be reached at all. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** What the sidecar remembers about the `.part` beside it. */
const PartSidecar = z.object({
  etag: z.string().min(1).nullable(),
  sha256: z.string().regex(SHA256_HEX),
  totalBytes: z.number().int().nonnegative().nullable(),
});
type PartSidecar = z.infer<typeof PartSidecar>;

interface PartFiles {
  part: string;
  sidecar: string;
}

/** A `.part` the next request may continue. */
interface PartState extends PartSidecar {
  size: number;
}

/** A failure worth another request: the connection dropped, stalled or the provider was briefly down. */
class TransientError extends Error {
  constructor(
    readonly failure: unknown,
    /** The problem to report if no attempt is left (5xx answers). */
    readonly problem?: AppError,
  ) {
    super(failure instanceof Error ? failure.message : String(failure));
  }
}

type AttemptOutcome =
  | { kind: 'complete'; sha256: string; size: number; expected: string }
  /** The `.part` could not be continued; it was discarded and the next request starts at byte 0. */
  | { kind: 'restart' };

interface DownloadContext {
  request: DownloadRequest;
  files: PartFiles;
  meter: ProgressMeter;
  fetch: typeof fetch;
  state: PartState | null;
  resumes: number;
  /** Whether the current attempt wrote new bytes (it then does not count as a failure). */
  progressed: boolean;
  /** Whether any response arrived at all (then "offline" is the wrong diagnosis). */
  answered: boolean;
}

export async function download(request: DownloadRequest): Promise<DownloadResult> {
  const expected = request.expectedSha256 === undefined ? undefined : parseSha256(request.expectedSha256);
  const files = partFilesOf(request.destination);
  const ctx: DownloadContext = {
    request: { ...request, expectedSha256: expected },
    files,
    meter: new ProgressMeter(request.onProgress),
    fetch: request.fetch ?? fetch,
    state: null,
    resumes: 0,
    progressed: false,
    answered: false,
  };
  try {
    throwIfCancelled(request.signal);
    await mkdir(path.dirname(request.destination), { recursive: true });
    ctx.state = await loadPart(files, expected);
    const outcome = await attemptUntilComplete(ctx);
    if (outcome.sha256 !== outcome.expected) {
      await discardPart(files);
      throw new AppError(
        'CHECKSUM_MISMATCH',
        'The download was damaged on the way (its checksum does not match). Try again.',
      );
    }
    await rename(files.part, request.destination);
    await rm(files.sidecar, { force: true });
    ctx.meter.update(outcome.size, outcome.size, true);
    return {
      path: request.destination,
      sha256: outcome.sha256,
      sizeBytes: outcome.size,
      resumes: ctx.resumes,
    };
  } catch (error) {
    if (request.signal?.aborted) {
      await discardPart(files);
      throw new AppError('CANCELLED', 'The download was cancelled.');
    }
    throw asDownloadError(error);
  }
}

/** Requests until the whole file is in `.part`, retrying dropped connections with a short backoff. */
async function attemptUntilComplete(
  ctx: DownloadContext,
): Promise<Extract<AttemptOutcome, { kind: 'complete' }>> {
  const maxAttempts = Math.max(1, ctx.request.maxAttempts ?? 5);
  let failures = 0;
  let restarts = 0;
  for (;;) {
    ctx.progressed = false;
    try {
      const outcome = await attempt(ctx);
      if (outcome.kind === 'complete') return outcome;
      restarts += 1;
      if (restarts > MAX_RESTARTS) {
        throw new AppError(
          'DOWNLOAD_FAILED',
          'The store kept sending a download that could not be continued. Try again later.',
        );
      }
    } catch (error) {
      if (!(error instanceof TransientError) || ctx.request.signal?.aborted) throw error;
      failures = ctx.progressed ? 1 : failures + 1;
      if (failures >= maxAttempts) throw gaveUp(error, ctx.answered);
      const base = ctx.request.retryDelayMs ?? 250;
      await sleep(Math.min(MAX_RETRY_DELAY_MS, base * 2 ** (failures - 1)), undefined, {
        signal: ctx.request.signal,
      });
    }
  }
}

/** One request: continue the `.part` if there is one, else start over. */
async function attempt(ctx: DownloadContext): Promise<AttemptOutcome> {
  const { request } = ctx;
  const state = ctx.state;
  const offset = state?.etag ? state.size : 0;
  const headers: Record<string, string> = { ...request.headers, 'accept-encoding': 'identity' };
  if (state?.etag && offset > 0) {
    headers.range = `bytes=${offset}-`;
    headers['if-range'] = state.etag;
  }
  const stall = new StallGuard(request.stallTimeoutMs ?? 30_000, request.signal);
  let body: BodyPump | null = null;
  try {
    let response: Response;
    try {
      response = await ctx.fetch(request.url, { headers, signal: stall.signal });
    } catch (error) {
      throw new TransientError(error);
    }
    ctx.answered = true;
    if (response.status === 416) return await onRangeNotSatisfiable(ctx, response, offset);
    if (!response.ok) throw await problemOf(response);
    body = new BodyPump(response.body, stall);
    const announced = announcedSha256(response.headers);
    const expected = request.expectedSha256 ?? announced ?? state?.sha256;
    if (!expected) {
      throw new AppError(
        'DOWNLOAD_FAILED',
        'The store did not say what the download should contain, so it cannot be checked. Try again later.',
      );
    }
    let start: PartStart;
    if (response.status === 206 && state && offset > 0) {
      const continued = await continuePart(ctx, response, state, offset, announced);
      if (!continued) return { kind: 'restart' };
      start = continued;
    } else {
      start = await startPart(ctx, response, expected);
    }
    const size = await receiveBody(ctx, body, start);
    if (start.totalBytes !== null && size < start.totalBytes) {
      throw new TransientError(new Error(`the connection closed after ${size} of ${start.totalBytes} bytes`));
    }
    return { kind: 'complete', sha256: start.hash.digest('hex'), size, expected };
  } finally {
    stall.dispose();
    await body?.cancel();
  }
}

/** Where the body of a response goes on in the `.part`. */
interface PartStart {
  hash: Hash;
  offset: number;
  totalBytes: number | null;
}

/**
 * A 206 continues the `.part` only if it is the same release from the byte we asked for;
 * anything else (another ETag or hash, another start) means the `.part` is discarded.
 */
async function continuePart(
  ctx: DownloadContext,
  response: Response,
  state: PartState,
  offset: number,
  announced: string | undefined,
): Promise<PartStart | null> {
  const range = parseContentRange(response.headers.get('content-range'));
  const etag = strongEtag(response.headers.get('etag'));
  const sameRelease =
    range !== null &&
    range.start === offset &&
    (etag === null || etag === state.etag) &&
    (announced === undefined || announced === state.sha256) &&
    (ctx.request.expectedSha256 === undefined || ctx.request.expectedSha256 === state.sha256);
  if (!sameRelease) {
    await discardPart(ctx.files);
    ctx.state = null;
    return null;
  }
  ctx.resumes += 1;
  // The bytes on disk are the source of truth: hash them rather than trust a hash from memory.
  const hash = await hashFile(ctx.files.part, offset);
  return { hash, offset, totalBytes: range.total ?? state.totalBytes };
}

/** A 200 (or a 206 we did not ask for): the body is the whole file, so the `.part` starts over. */
async function startPart(ctx: DownloadContext, response: Response, expected: string): Promise<PartStart> {
  const range = response.status === 206 ? parseContentRange(response.headers.get('content-range')) : null;
  if (response.status === 206 && range?.start !== 0) {
    throw new TransientError(new Error('the store answered a range that was not asked for'));
  }
  const length = Number(response.headers.get('content-length'));
  const totalBytes = range?.total ?? (Number.isSafeInteger(length) && length >= 0 ? length : null);
  const sidecar: PartSidecar = {
    etag: strongEtag(response.headers.get('etag')),
    sha256: expected,
    totalBytes,
  };
  await writeFile(ctx.files.part, '');
  await writeFile(ctx.files.sidecar, JSON.stringify(sidecar));
  ctx.state = { ...sidecar, size: 0 };
  return { hash: createHash('sha256'), offset: 0, totalBytes };
}

/** Appends the body to `.part`, hashing each chunk as it is written. Returns the `.part` size. */
async function receiveBody(ctx: DownloadContext, body: BodyPump, start: PartStart): Promise<number> {
  let received = start.offset;
  const file = await open(ctx.files.part, 'a');
  try {
    ctx.meter.update(received, start.totalBytes);
    for (;;) {
      const chunk = await body.next();
      if (chunk === null) break;
      start.hash.update(chunk);
      await file.write(chunk);
      received += chunk.byteLength;
      if (ctx.state) ctx.state.size = received;
      ctx.progressed = true;
      ctx.meter.update(received, start.totalBytes);
    }
    return received;
  } finally {
    await file.close();
  }
}

/**
 * Reads a response body ahead of the disk, into a bounded buffer. A fetch body that
 * fails (connection dropped) throws away whatever it had queued but not handed out; read
 * eagerly, those bytes are ours and land in the `.part`, so a resume asks for less.
 */
class BodyPump {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private ended = false;
  private failure: TransientError | null = null;
  private wakeReader: (() => void) | null = null;
  private wakePump: (() => void) | null = null;

  constructor(
    stream: ReadableStream<Uint8Array> | null,
    private readonly stall: StallGuard,
    private readonly limit = 2 * 1024 * 1024,
  ) {
    this.reader = stream?.getReader();
    void this.pump();
  }

  /** The next chunk, null at the end; a network failure only after every chunk received before it. */
  async next(): Promise<Uint8Array | null> {
    while (this.chunks.length === 0 && !this.ended && !this.failure) {
      await new Promise<void>((resolve) => (this.wakeReader = resolve));
    }
    const chunk = this.chunks.shift();
    if (chunk) {
      this.buffered -= chunk.byteLength;
      this.wake('pump');
      return chunk;
    }
    if (this.failure) throw this.failure;
    return null;
  }

  async cancel(): Promise<void> {
    if (this.ended || this.failure) return;
    this.ended = true;
    this.wake('pump');
    await this.reader?.cancel().catch(() => undefined);
  }

  private async pump(): Promise<void> {
    try {
      while (this.reader && !this.ended) {
        if (this.buffered >= this.limit) {
          // The disk is behind: waiting for it is not the connection stalling.
          this.stall.hold();
          await new Promise<void>((resolve) => (this.wakePump = resolve));
          this.stall.release();
          continue;
        }
        const step = await this.reader.read();
        if (step.done) break;
        this.stall.touch();
        this.chunks.push(step.value);
        this.buffered += step.value.byteLength;
        this.wake('reader');
      }
      this.ended = true;
    } catch (error) {
      this.failure = new TransientError(error);
    }
    this.wake('reader');
  }

  private wake(who: 'reader' | 'pump'): void {
    const resolve = who === 'reader' ? this.wakeReader : this.wakePump;
    if (who === 'reader') this.wakeReader = null;
    else this.wakePump = null;
    resolve?.();
  }
}

/**
 * 416: either the `.part` already holds the whole file (a run that stopped just before
 * the rename), or it cannot be continued and is discarded.
 */
async function onRangeNotSatisfiable(
  ctx: DownloadContext,
  response: Response,
  offset: number,
): Promise<AttemptOutcome> {
  const total = parseContentRange(response.headers.get('content-range'))?.total;
  const state = ctx.state;
  if (state && offset > 0 && total === offset) {
    await response.body?.cancel();
    const hash = await hashFile(ctx.files.part, offset);
    return { kind: 'complete', sha256: hash.digest('hex'), size: offset, expected: state.sha256 };
  }
  if (offset === 0) throw await problemOf(response);
  await response.body?.cancel();
  await discardPart(ctx.files);
  ctx.state = null;
  return { kind: 'restart' };
}

/** A non-2xx answer as the AppError to show; 502–504 are worth retrying. */
async function problemOf(response: Response): Promise<Error> {
  let body: unknown = null;
  try {
    const text = await response.text();
    if (/json/i.test(response.headers.get('content-type') ?? '')) body = JSON.parse(text);
  } catch {
    // An unreadable error body still yields a AppError from the status alone.
  }
  const problem = appErrorFromProblem(response.status, body);
  return [502, 503, 504].includes(response.status)
    ? new TransientError(new Error(`HTTP ${response.status}`), problem)
    : problem;
}

/** The `.part` the sidecar vouches for, or null (and nothing on disk) when there is none to continue. */
async function loadPart(files: PartFiles, expected: string | undefined): Promise<PartState | null> {
  let size: number;
  let sidecar: PartSidecar;
  try {
    size = (await stat(files.part)).size;
    sidecar = PartSidecar.parse(JSON.parse(await readFile(files.sidecar, 'utf8')));
  } catch {
    await discardPart(files);
    return null;
  }
  const stale =
    sidecar.etag === null ||
    (expected !== undefined && sidecar.sha256 !== expected) ||
    (sidecar.totalBytes !== null && size > sidecar.totalBytes);
  if (stale) {
    await discardPart(files);
    return null;
  }
  return { ...sidecar, size };
}

async function discardPart(files: PartFiles): Promise<void> {
  await rm(files.part, { force: true });
  await rm(files.sidecar, { force: true });
}

function partFilesOf(destination: string): PartFiles {
  return { part: `${destination}.part`, sidecar: `${destination}.part.json` };
}

/** SHA-256 of the first `length` bytes of a file, ready to be continued. */
async function hashFile(file: string, length: number): Promise<Hash> {
  const hash = createHash('sha256');
  if (length === 0) return hash;
  for await (const chunk of createReadStream(file, { start: 0, end: length - 1 })) {
    hash.update(chunk as Buffer);
  }
  return hash;
}

/** The hash the provider announces: X-Checksum-SHA256 (hex), else Digest `sha-256=<base64>`. */
export function announcedSha256(headers: Headers): string | undefined {
  const hex = headers.get('x-checksum-sha256')?.trim().toLowerCase();
  if (hex && SHA256_HEX.test(hex)) return hex;
  for (const part of (headers.get('digest') ?? '').split(',')) {
    const match = /^\s*sha-256=(.+?)\s*$/i.exec(part);
    if (!match?.[1]) continue;
    const fromBase64 = Buffer.from(match[1], 'base64').toString('hex');
    if (SHA256_HEX.test(fromBase64)) return fromBase64;
  }
  return undefined;
}

function parseSha256(value: string): string {
  const hex = value.trim().toLowerCase();
  if (!SHA256_HEX.test(hex)) {
    throw new AppError('BAD_INPUT', 'The expected checksum is not a SHA-256 (64 hex characters).');
  }
  return hex;
}

// `bytes 100-199/200` → {start: 100, total: 200}; `bytes */200` (416) → {start: null, total: 200}.
function parseContentRange(value: string | null): { start: number | null; total: number | null } | null {
  const match = /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i.exec(value?.trim() ?? '');
  if (!match) return null;
  return {
    start: match[1] === undefined ? null : Number(match[1]),
    total: match[2] === undefined || match[2] === '*' ? null : Number(match[2]),
  };
}

/** Only a strong ETag may go into If-Range (RFC 9110 §13.1.5). */
function strongEtag(value: string | null): string | null {
  const etag = value?.trim();
  return etag && !etag.startsWith('W/') ? etag : null;
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AppError('CANCELLED', 'The download was cancelled.');
}

/** The error to report once no attempt is left. */
function gaveUp(error: TransientError, answered: boolean): AppError {
  if (error.problem) return error.problem;
  const code = (error.failure as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  if (!answered && typeof code === 'string' && UNREACHABLE_CODES.has(code)) {
    return new AppError(
      'OFFLINE',
      'Keyport cannot reach the store. Check your internet connection and try again.',
    );
  }
  return new AppError(
    'DOWNLOAD_FAILED',
    'The download kept being interrupted. Check your connection and try again; it will continue where it stopped.',
  );
}

/** Any failure as the AppError to show; disk trouble says so. */
function asDownloadError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof TransientError) return gaveUp(error, true);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC') {
    return new AppError('DOWNLOAD_FAILED', 'The disk is full. Free some space, then try again.');
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new AppError(
    'DOWNLOAD_FAILED',
    `The download could not be saved (${detail}). Check the folder Keyport installs to, then try again.`,
  );
}

/**
 * Aborts the request when the user cancels or when no byte arrived for a while
 * (a silently dead connection would otherwise hang the download forever).
 */
class StallGuard {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  readonly signal: AbortSignal;

  constructor(
    private readonly timeoutMs: number,
    user: AbortSignal | undefined,
  ) {
    this.signal = user ? AbortSignal.any([user, this.controller.signal]) : this.controller.signal;
    this.release();
  }

  /** Bytes arrived: the connection is alive. */
  touch(): void {
    this.timer?.refresh();
  }

  /** Stop counting while we, not the connection, are the slow side. */
  hold(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  release(): void {
    this.hold();
    this.timer = setTimeout(
      () => this.controller.abort(new Error(`no data for ${this.timeoutMs} ms`)),
      this.timeoutMs,
    );
  }

  dispose(): void {
    this.hold();
  }
}

/** Throttled progress with the rate as a moving average over the last few seconds. */
class ProgressMeter {
  private readonly samples: Array<{ at: number; bytes: number }> = [];
  private lastEmit = Number.NEGATIVE_INFINITY;
  private lastReceived: number | null = null;
  /** Bytes that came over the network in this call (resumed bytes on disk are not a rate). */
  private networkBytes = 0;

  constructor(private readonly listener: ((progress: DownloadProgress) => void) | undefined) {}

  update(received: number, total: number | null, final = false): void {
    const at = performance.now();
    if (this.lastReceived !== null && received > this.lastReceived) {
      this.networkBytes += received - this.lastReceived;
    }
    this.lastReceived = received;
    this.samples.push({ at, bytes: this.networkBytes });
    while (this.samples.length > 2 && at - (this.samples[0]?.at ?? at) > RATE_WINDOW_MS) this.samples.shift();
    if (!this.listener || (!final && at - this.lastEmit < PROGRESS_INTERVAL_MS)) return;
    this.lastEmit = at;
    const rate = this.rate();
    const remaining = total === null ? null : Math.max(0, total - received);
    const progress: DownloadProgress = {
      receivedBytes: received,
      totalBytes: total,
      bytesPerSecond: Math.round(rate),
      etaSeconds: remaining === 0 ? 0 : remaining !== null && rate > 0 ? Math.ceil(remaining / rate) : null,
    };
    try {
      this.listener(progress);
    } catch {
      // A broken progress listener must not break the download itself.
    }
  }

  private rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at - first.at <= 0) return 0;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }
}
