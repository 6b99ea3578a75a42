import { expect, test, type Locator, type Page, type Response } from '@playwright/test';

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
 * Submits a form with `submit` (e.g. a click), waits for the answer to its
 * POST (without JavaScript the browser shows that answer as a page; with it,
 * the island shows it in place or moves on, and clears what an earlier try
 * showed first), then until `settled` is visible, and returns the HTTP
 * statuses seen on the way.
 */
export async function submitAndSettle(page: Page, submit: () => Promise<void>, settled: Locator): Promise<number[]> {
  return statusesDuring(page, async () => {
    // A POST (a server function), or the navigation of a GET form (a filter).
    const answered = page.waitForResponse(
      (response) => response.request().method() === 'POST' || response.request().isNavigationRequest(),
    );
    await submit();
    await answered;
    await expect(settled).toBeVisible();
  });
}

/**
 * Whether `url` shows the page at `path`. Without JavaScript a form that
 * failed shows its page again as the answer to its POST, so the address is
 * then the server function's (`fn`); nothing about the error is in it.
 */
export function at(path: string, fn?: string): (url: URL) => boolean {
  return (url) => url.pathname === path || (fn !== undefined && url.pathname === fn);
}

/**
 * Submits a form that should fail and checks how: with JavaScript the page
 * stays where it is (same URL, no navigation) and the answer is the
 * function's error with a 4xx; without, the answer is the page itself with
 * the same 4xx. `shown` is where the error must appear. Returns the status.
 */
export async function submitExpectingError(
  page: Page,
  submit: () => Promise<void>,
  shown: Locator,
  javaScript: boolean,
): Promise<number> {
  // The islands must be running before typing: a code typed into a page still hydrating would
  // wait for a button nobody presses.
  if (javaScript) await islandsReady(page);
  const before = page.url();
  let navigations = 0;
  const onNavigated = (frame: import('@playwright/test').Frame) => {
    if (frame === page.mainFrame()) navigations += 1;
  };
  page.on('framenavigated', onNavigated);
  try {
    const answered = page.waitForResponse((response) => response.request().method() === 'POST');
    await submit();
    const response = await answered;
    await expect(shown).toBeVisible();
    expect(response.status(), `status of the failed POST to ${response.url()}`).toBeGreaterThanOrEqual(400);
    expect(response.status()).toBeLessThan(500);
    if (javaScript) {
      expect(navigations, 'a failed submit with JavaScript does not navigate').toBe(0);
      expect(page.url(), 'a failed submit with JavaScript leaves the URL as it was').toBe(before);
      expect(response.request().resourceType(), 'the island sends the form with fetch').toBe('fetch');
    } else {
      expect(response.request().isNavigationRequest(), 'without JavaScript the form itself is sent').toBe(true);
      expect(new URL(page.url()).search, 'nothing about the error goes into the URL').not.toMatch(/err/i);
    }
    return response.status();
  } finally {
    page.off('framenavigated', onNavigated);
  }
}

/** Waits until the page's form islands run (they mark themselves `data-hydrated`). */
export async function islandsReady(page: Page) {
  // A visible one: the frame's sign-out form hydrates too, hidden in the closed person menu.
  await expect(
    page.locator('form[data-hydrated], [data-dialog-host][data-hydrated]').filter({ visible: true }).first(),
  ).toBeVisible();
}

/** Whether this test's project runs pages with JavaScript (and so with the islands). */
export function javaScriptOn(): boolean {
  return test.info().project.use.javaScriptEnabled !== false;
}

/**
 * Types a code and sends its form. With JavaScript a field for a 6-digit code
 * sends its form by itself once the sixth digit is in, so nothing is clicked;
 * without JavaScript (or for a recovery code) the button sends it.
 */
export async function enterCode(
  page: Page,
  field: Locator,
  code: string,
  button: Locator,
  settled: Locator,
): Promise<number[]> {
  const sixDigits = /^\d{6}$/.test(code.replace(/\s/g, ''));
  const submitsItself = sixDigits && javaScriptOn() && (await field.getAttribute('data-auto-submit')) !== null;
  if (submitsItself) {
    // Only a hydrated island sends the form by itself: typed before that, the code would sit
    // there unsent (seen on a loaded machine, where the WASM arrives late).
    await expect(field.locator('xpath=ancestor::form[1]')).toHaveAttribute('data-hydrated');
  }
  return submitAndSettle(
    page,
    async () => {
      await field.fill(code);
      if (!submitsItself) await button.click();
    },
    settled,
  );
}

/** The width of the phone the layout checks use. */
export const PHONE_WIDTH = 390;

/**
 * On a phone-sized window (after `open`, if given) checks that each of `parts` is on screen
 * within its width and that nothing (the page, a table, a scroll box) is wider than the screen;
 * then restores the window.
 */
export async function expectFitsPhone(page: Page, parts: Locator[], open?: () => Promise<unknown>) {
  const size = page.viewportSize();
  await page.setViewportSize({ width: PHONE_WIDTH, height: 844 });
  try {
    await open?.();
    for (const part of parts) {
      await part.scrollIntoViewIfNeeded();
      await expect(part).toBeInViewport();
      const box = await part.boundingBox();
      expect(box?.x ?? 0, 'the left edge, within the screen').toBeGreaterThanOrEqual(0);
      expect((box?.x ?? 0) + (box?.width ?? 0), 'the right edge, within the screen').toBeLessThanOrEqual(PHONE_WIDTH);
    }
    const overflow = await page.evaluate(() => {
      const wide = [document.documentElement, ...Array.from(document.querySelectorAll('table, .overflow-x-auto'))];
      return wide.filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => el.tagName);
    });
    expect(overflow, 'elements wider than the screen').toEqual([]);
  } finally {
    if (size) await page.setViewportSize(size);
  }
}
