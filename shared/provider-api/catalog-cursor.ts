/**
 * Catalog page cursors: the last item's (name, softwareId), opaque to clients as
 * base64url JSON. Keyset pagination on that pair stays stable while items are added.
 * Shared by the provider and its mock so their cursors are interchangeable.
 */
import { problem } from './problem.ts';

export type Cursor = [name: string, softwareId: string];

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string')) {
      return value as Cursor;
    }
  } catch {
    // fall through to the problem below
  }
  throw problem('VALIDATION', 'cursor: not a cursor this provider issued; start again without one');
}
