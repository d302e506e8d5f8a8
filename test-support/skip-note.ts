/**
 * How a test that may skip names itself: `describe.skipIf(reason !== null)(\`title${skipNote(reason)}\`)`.
 * The reason rides in the name because that is what Vitest shows of a skipped test, and
 * `skip-reporter.ts` prints every skipped name after the run.
 */
export function skipNote(reason: string | null): string {
  return reason === null ? '' : ` (skipped: ${reason})`;
}
