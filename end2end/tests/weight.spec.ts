/**
 * Payload budget and caching headers of the first visit to /login (sqlite-js
 * project only, see testIgnore in playwright.config.ts).
 */
import type { Response } from '@playwright/test';
import { expect, test } from '../pages/fixtures';

// 100 KB, counted in thousands so the budget holds whichever kilobyte is meant.
const BUDGET_BYTES = 100_000;
const LONG_CACHE = /max-age=31536000/;

function extensionOf(url: string): string {
  const pathname = new URL(url).pathname;
  const dot = pathname.lastIndexOf('.');
  return dot > pathname.lastIndexOf('/') ? pathname.slice(dot + 1).toLowerCase() : '';
}

test('the first visit to /login stays within 100 KB and caches assets for a year', async ({ browser, baseURL }) => {
  // A fresh context: empty HTTP cache, no cookies.
  const context = await browser.newContext({ baseURL, javaScriptEnabled: true });
  try {
    const page = await context.newPage();
    const responses: Response[] = [];
    page.on('response', (response) => responses.push(response));

    const main = await page.goto('/login', { waitUntil: 'networkidle' });
    expect(main, 'the /login navigation response').toBeTruthy();

    // --- weight
    const rows: { url: string; status: number; encoding: string; headers: number; body: number }[] = [];
    for (const response of responses) {
      const sizes = await response.request().sizes();
      const headers = await response.allHeaders();
      rows.push({
        url: response.url(),
        status: response.status(),
        encoding: headers['content-encoding'] ?? '-',
        headers: sizes.responseHeadersSize,
        body: sizes.responseBodySize,
      });
    }
    const total = rows.reduce((sum, r) => sum + r.headers + r.body, 0);
    const lines = rows.map(
      (r) =>
        `${String(r.headers + r.body).padStart(9)}  ${String(r.body).padStart(9)}  ${String(r.headers).padStart(7)}  ` +
        `${r.status}  ${r.encoding.padEnd(8)} ${r.url}`,
    );
    console.log(
      [
        `Payload of the first visit to /login (${rows.length} responses):`,
        `    total       body  headers  status enc.     url`,
        ...lines,
        `${String(total).padStart(9)}  bytes in all (budget ${BUDGET_BYTES} bytes)`,
      ].join('\n'),
    );

    // --- caching and compression of the assets
    const byExtension = (ext: string) => responses.filter((r) => extensionOf(r.url()) === ext);
    for (const ext of ['wasm', 'js', 'css']) {
      const assets = byExtension(ext);
      expect(assets.length, `at least one .${ext} response on /login`).toBeGreaterThan(0);
      for (const asset of assets) {
        const headers = await asset.allHeaders();
        expect.soft(asset.status(), `status of ${asset.url()}`).toBe(200);
        expect.soft(headers['content-encoding'], `content-encoding of ${asset.url()}`).toBe('br');
        const cacheControl = headers['cache-control'] ?? '';
        expect.soft(cacheControl, `cache-control of ${asset.url()}`).toMatch(LONG_CACHE);
        expect.soft(cacheControl, `cache-control of ${asset.url()}`).toMatch(/\bimmutable\b/);
      }
    }

    // --- the HTML itself must never be cached like an asset
    const html = main as Response;
    const htmlCacheControl = (await html.allHeaders())['cache-control'] ?? '';
    expect.soft(htmlCacheControl, `cache-control of ${html.url()}`).toMatch(/\bno-(store|cache)\b/);
    expect.soft(htmlCacheControl, `cache-control of ${html.url()}`).not.toMatch(LONG_CACHE);
    expect.soft(htmlCacheControl, `cache-control of ${html.url()}`).not.toMatch(/\bimmutable\b/);

    expect(total, `bytes transferred for the first visit to /login (budget ${BUDGET_BYTES})`).toBeLessThanOrEqual(
      BUDGET_BYTES,
    );
  } finally {
    await context.close();
  }
});
