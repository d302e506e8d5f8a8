/**
 * What every screen is held to in the e2e run: no serious accessibility violations
 * (axe-core, run in the page), no horizontal scrolling at the smallest supported window
 * (800×600), and a screenshot saved for the README and for review.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Page } from '@playwright/test';

export const SCREENSHOT_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../docs/screenshots',
);
export const SMALLEST_WINDOW = { width: 800, height: 600 };

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/**
 * axe-core is evaluated through the DevTools protocol, which the page's CSP does not
 * govern, so the app keeps its real CSP (no `bypassCSP`) while it is checked.
 */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const injected = await page.evaluate(() => 'axe' in window);
  if (!injected) await page.evaluate(await axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes }));
  });
  const serious = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious, `accessibility violations on the ${screen} screen`).toEqual([]);
}

/** At 800×600 the screen fits across: nothing hidden off to the right. */
export async function expectFitsSmallestWindow(page: Page, screen: string): Promise<void> {
  const before = page.viewportSize();
  await page.setViewportSize(SMALLEST_WINDOW);
  const overflow = await page.evaluate(() => {
    const wide = [...document.querySelectorAll<HTMLElement>('body *')].filter(
      (el) => el.getBoundingClientRect().right > window.innerWidth + 1 && el.getClientRects().length > 0,
    );
    return {
      scroll: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      wide: wide.slice(0, 3).map((el) => `${el.tagName.toLowerCase()}.${el.className}`),
    };
  });
  if (before) await page.setViewportSize(before);
  expect(overflow, `the ${screen} screen at ${SMALLEST_WINDOW.width}×${SMALLEST_WINDOW.height}`).toEqual({
    scroll: 0,
    wide: [],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  // Finite CSS transitions are taken to their end: a screenshot right after a click would
  // otherwise catch a button's 120 ms background fade halfway (the selected tab unlit).
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), animations: 'disabled' });
}

/** All three, for a screen as it stands. */
export async function checkScreen(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  await expectAccessible(page, name);
  await expectFitsSmallestWindow(page, name);
}
