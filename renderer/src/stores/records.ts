/** Per-item state (busy, errors, progress) lives in records keyed by ID; stores replace, never mutate. */
export function without<T>(record: Record<string, T>, key: string): Record<string, T> {
  const next = { ...record };
  delete next[key];
  return next;
}
