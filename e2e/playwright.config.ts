/**
 * The e2e run: the built renderer in Debian's Chromium, through the web shell, against
 * the real provider (two-devices.spec.ts, recovery.spec.ts) and the MSW mock (faults.spec.ts). One worker:
 * the machine has two cores and each test already runs two app devices and a provider.
 */
import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

export const CHROMIUM = process.env.KEYPORT_TEST_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  throw new Error(
    `The e2e tests need Chromium at ${CHROMIUM} (apt-get install chromium, or set KEYPORT_TEST_CHROMIUM)`,
  );
}

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  globalSetup: './support/global-setup.ts',
  outputDir: '../test-results/e2e',
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    },
    actionTimeout: 15_000,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
});
