/**
 * Prints every skipped test after a run, grouped by suite, whose name says why
 * (`… (skipped: needs PostgreSQL …)`, written by `skipNote`). Vitest's default reporter only counts them, and a
 * skip nobody can see the reason for is a test that silently stopped running.
 */
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export default class SkipReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const bySuite = new Map<string, number>();
    for (const module of testModules) {
      const file = path.relative(process.cwd(), module.moduleId);
      for (const test of module.children.allTests('skipped')) {
        const where = `${file}: ${test.parent.type === 'suite' ? test.parent.fullName : test.name}`;
        bySuite.set(where, (bySuite.get(where) ?? 0) + 1);
      }
    }
    if (bySuite.size === 0) return;
    const lines = [...bySuite].map(([where, count]) => `  ${count} × ${where}`);
    process.stdout.write(`\nSkipped, with the reason in the suite's name:\n${lines.join('\n')}\n`);
  }
}
