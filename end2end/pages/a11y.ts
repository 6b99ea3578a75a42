import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';

/** The WCAG 2.1 A and AA rules of axe-core. */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** The run in progress on each page: axe allows one at a time, so runs queue up. */
const running = new WeakMap<Page, Promise<unknown>>();

/** axe-core's serious and critical violations on the page as it is now, one line each. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const before = running.get(page) ?? Promise.resolve();
  const run = before.catch(() => undefined).then(() => new AxeBuilder({ page }).withTags(TAGS).analyze());
  running.set(page, run);
  const results = await run;
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * Fails on any serious or critical violation on the page as it is now (an open menu, say).
 * Only where the page runs scripts: axe-core is one (see fixtures.ts).
 */
export async function expectAccessible(page: Page, what: string) {
  if (test.info().project.use.javaScriptEnabled === false) return;
  expect(await seriousViolations(page), `accessibility of ${what} (${page.url()})`).toEqual([]);
}
