/**
 * Serving a package the way the provider does (server/routes/downloads.ts): single
 * `Range` requests honoured when `If-Range` is absent or names the current ETag, 416 for
 * a range outside the file, and `X-Checksum-SHA256` (hex) and `Digest: sha-256=` (base64)
 * announcing the genuine bytes — plus two of the mock's faults: altered bytes under those
 * same headers, and a body that stops after N bytes (the server then drops the socket).
 */
import { planDownload, unsatisfiableRangeHeaders } from '../shared/http-range.ts';
import type { MockFaults } from './faults.ts';
import { mockProblem } from './problem.ts';
import type { ReleaseRecord } from './state.ts';

/** Thrown into the body stream where the connection "drops"; the server destroys the socket. */
export class DroppedConnection extends Error {
  constructor(afterBytes: number) {
    super(`mock fault: connection dropped after ${afterBytes} bytes`);
    this.name = 'DroppedConnection';
  }
}

const CHUNK = 16 * 1024;

/**
 * A body that hands out `bytes` chunk by chunk and, with `dropAfter`, errors once that many
 * have been read. Pull-based with no buffering, so every byte before the drop reaches the
 * reader (erroring a stream throws away whatever is still queued in it).
 */
function bodyStream(bytes: Uint8Array, dropAfter: number | null): ReadableStream<Uint8Array> {
  const limit = dropAfter === null ? bytes.length : Math.min(dropAfter, bytes.length);
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (offset >= limit) {
          if (dropAfter !== null && limit < bytes.length) controller.error(new DroppedConnection(limit));
          else controller.close();
          return;
        }
        const end = Math.min(offset + CHUNK, limit);
        controller.enqueue(bytes.slice(offset, end));
        offset = end;
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * The corruption fault flips one byte in the middle of the file (at the same absolute
 * position in every range), so the whole file, however it was fetched, fails its hash.
 */
function corrupted(bytes: Buffer, start: number, size: number): Buffer {
  const copy = Buffer.from(bytes);
  const position = Math.floor(size / 2) - start;
  if (position >= 0 && position < copy.length) copy[position] = copy[position]! ^ 0xff;
  return copy;
}

export function downloadResponse(
  softwareId: string,
  release: ReleaseRecord,
  request: Request,
  faults: MockFaults,
): Response {
  const size = release.sizeBytes;
  const plan = planDownload(
    { softwareId, version: release.version, sha256: release.sha256, sizeBytes: size },
    { range: request.headers.get('range'), ifRange: request.headers.get('if-range') },
  );
  if (plan === null) {
    throw mockProblem(
      'RANGE_NOT_SATISFIABLE',
      `the file is ${size} bytes long`,
      unsatisfiableRangeHeaders(size),
    );
  }
  let bytes = release.bytes.subarray(plan.start, plan.end + 1);
  if (faults.corrupting) bytes = corrupted(bytes, plan.start, size);
  return new Response(bodyStream(bytes, faults.takeDrop()), { status: plan.status, headers: plan.headers });
}
