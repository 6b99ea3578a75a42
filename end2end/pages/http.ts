import { expect, type Locator, type Page, type Response } from '@playwright/test';

/**
 * Runs `action` and returns the HTTP status codes of the document navigations
 * and POSTs it caused, in order (a refused code gives [401]; a form post
 * answered with a redirect ends with the 200 of the page it leads to).
 */
export async function statusesDuring(page: Page, action: () => Promise<void>): Promise<number[]> {
  const statuses: number[] = [];
  const onResponse = (response: Response) => {
    const request = response.request();
    if (request.isNavigationRequest() || request.method() === 'POST') statuses.push(response.status());
  };
  page.on('response', onResponse);
  try {
    await action();
  } finally {
    page.off('response', onResponse);
  }
  return statuses;
}

/**
 * Submits a form with `submit` (e.g. a click), waits until the browser shows
 * the document that answered it (so that an alert left on the old page from
 * an earlier attempt cannot be mistaken for the answer), then until `settled`
 * is visible, and returns the HTTP statuses seen on the way.
 */
export async function submitAndSettle(page: Page, submit: () => Promise<void>, settled: Locator): Promise<number[]> {
  return statusesDuring(page, async () => {
    const navigated = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() });
    await submit();
    await navigated;
    await expect(settled).toBeVisible();
  });
}
