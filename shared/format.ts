/**
 * Sizes and prices as the app's window and its CLI write them. One formatter each, with
 * a style per surface: the window reads best adaptive and in the user's locale; the
 * terminal wants fixed columns and the same text everywhere (scripts read it).
 *
 * Free of runtime dependencies and of Node.js or DOM APIs: the renderer bundles it.
 */

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

export interface ByteFormat {
  /** The largest unit to use (default `TB`; the CLI stops at `GB`). */
  largestUnit?: 'GB' | 'TB';
  /**
   * `adaptive` (default): one decimal below 100, none from 100 up ("1.5 KB", "512 KB").
   * `fixed`: whole bytes, one decimal in every other unit ("512.0 KB"), for columns.
   */
  decimals?: 'adaptive' | 'fixed';
}

/** Bytes in binary units (1 KB = 1024 B); "–" for a count that is not one. */
export function formatBytes(bytes: number, format: ByteFormat = {}): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  const fixed = format.decimals === 'fixed';
  const largest = BYTE_UNITS.indexOf(format.largestUnit ?? 'TB');
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < largest) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${fixed ? value.toFixed(0) : value} B`;
  return `${fixed || value < 100 ? value.toFixed(1) : value.toFixed(0)} ${BYTE_UNITS[unit]}`;
}

/** The CLI's sizes: fixed decimals, up to GB. */
export const TERMINAL_BYTES: ByteFormat = { largestUnit: 'GB', decimals: 'fixed' };

/**
 * `local` (default): the user's locale and currency sign ("$2.99", "Free").
 * `plain`: the same text everywhere ("2.99 USD", "free"), for terminals and scripts.
 */
export type PriceStyle = 'local' | 'plain';

export function formatPrice(priceCents: number, currency: string, style: PriceStyle = 'local'): string {
  const plain = `${(priceCents / 100).toFixed(2)} ${currency}`;
  if (style === 'plain') return priceCents === 0 ? 'free' : plain;
  if (priceCents === 0) return 'Free';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(priceCents / 100);
  } catch {
    return plain;
  }
}
