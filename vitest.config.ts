import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // As in the renderer's build: `@shared/…` is shared/.
  resolve: { alias: { '@shared': fileURLToPath(new URL('./shared', import.meta.url)) } },
  test: {
    include: [
      'server/**/*.test.ts',
      'shared/**/*.test.ts',
      'electron/**/*.test.ts',
      'server-mock/**/*.test.ts',
      'dev/**/*.test.ts',
      'renderer/**/*.test.{ts,tsx}',
    ],
    // Provider tests start real HTTP servers and hash passwords with scrypt; keep them
    // off each other's toes on a 2-core machine.
    pool: 'forks',
    // The default output, then every skipped test by name (the name says why it skipped).
    reporters: ['default', './test-support/skip-reporter.ts'],
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
