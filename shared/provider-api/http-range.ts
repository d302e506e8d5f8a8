/**
 * Single-range `Range` headers (RFC 9110 §14), parsed the one way the provider and its
 * mock both serve them: a range the file can satisfy, the whole file when the header is
 * absent or not a single byte range, or "unsatisfiable" (416).
 */

/** The byte range asked for, `undefined` for the whole file, or `null` if unsatisfiable. */
export function parseRange(
  header: string | null | undefined,
  size: number,
): { start: number; end: number } | null | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined; // multi-range or another unit: serve the whole file (RFC 9110 allows it)
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return undefined;
  let start: number;
  let end: number;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0) return null;
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(from);
    end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  }
  if (start >= size || start > end) return null;
  return { start, end };
}

export interface DownloadPlan {
  status: 200 | 206;
  /** First and last byte to send (inclusive). */
  start: number;
  end: number;
  headers: Record<string, string>;
}

/**
 * How to answer a package download: the range to send (honouring `Range` only when
 * `If-Range` is absent or names the current ETag, the package's SHA-256) and the headers
 * announcing the genuine bytes. Null when the range is unsatisfiable (416). The provider
 * and its mock both answer through this, so resumes behave the same against either.
 */
export function planDownload(
  release: { softwareId: string; version: string; sha256: string; sizeBytes: number },
  request: { range: string | null | undefined; ifRange: string | null | undefined },
): DownloadPlan | null {
  const size = release.sizeBytes;
  const etag = `"${release.sha256}"`;
  const honoured = request.ifRange === undefined || request.ifRange === null || request.ifRange === etag;
  const range = parseRange(honoured ? request.range : undefined, size);
  if (range === null) return null;
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  const headers: Record<string, string> = {
    'content-type': 'application/gzip',
    'accept-ranges': 'bytes',
    etag,
    'cache-control': 'private, no-store',
    'x-checksum-sha256': release.sha256,
    digest: `sha-256=${Buffer.from(release.sha256, 'hex').toString('base64')}`,
    'x-keyport-version': release.version,
    'content-disposition': `attachment; filename="${release.softwareId}-${release.version}.tar.gz"`,
    'content-length': String(end - start + 1),
  };
  if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
  return { status: range ? 206 : 200, start, end, headers };
}

/** The header a 416 carries: the whole length, so the client can start again. */
export function unsatisfiableRangeHeaders(sizeBytes: number): Record<string, string> {
  return { 'content-range': `bytes */${sizeBytes}` };
}
