/** Per-item state (busy, errors, progress) lives in records keyed by ID; stores replace, never mutate. */
import type { ShownError, StaleError } from '../errors.ts';

export function without<T>(record: Record<string, T>, key: string): Record<string, T> {
  const next = { ...record };
  delete next[key];
  return next;
}

/**
 * `record` with the entry under `key` changed by `patch`, where a field given as `undefined`
 * is cleared. An entry left with no fields is dropped, so "nothing going on" has one shape
 * and the record only holds the items something is happening to.
 */
export function patched<T extends object>(
  record: Record<string, T>,
  key: string,
  patch: Partial<T>,
): Record<string, T> {
  const current: Record<string, unknown> = { ...record[key] };
  // Nothing changes: the same record back, so components reading this entry do not render again.
  if (Object.entries(patch).every(([field, value]) => current[field] === value)) return record;
  const entry: Record<string, unknown> = { ...current, ...patch };
  for (const [field, value] of Object.entries(entry)) if (value === undefined) delete entry[field];
  return Object.keys(entry).length === 0 ? without(record, key) : { ...record, [key]: entry as T };
}

/**
 * `record` with each entry's `error` cleared where `stale` says it no longer holds, along
 * with the fields that only made sense next to it (`also`).
 */
export function withoutStaleErrors<T extends { error?: ShownError }>(
  record: Record<string, T>,
  stale: StaleError,
  also: ReadonlyArray<keyof T> = [],
): Record<string, T> {
  let next = record;
  for (const [key, entry] of Object.entries(record)) {
    if (!entry.error || !stale(entry.error)) continue;
    const cleared = { error: undefined } as Partial<T>;
    for (const field of also) cleared[field] = undefined;
    next = patched(next, key, cleared);
  }
  return next;
}
