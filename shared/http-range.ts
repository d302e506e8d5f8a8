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
