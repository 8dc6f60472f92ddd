/**
 * Measures how fast the page handles real input while it works: playwright
 * sends real mouse and keyboard events (CDP Input.dispatch*, the browser's
 * own input path), and a capture listener in the page records, per event,
 * the delay from the event's `timeStamp` to its handler and to the next
 * animation frame after the handler (when the result can be on screen).
 * Shared by the responsiveness test and scripts/site-budgets.ts.
 */
import type { Page } from 'playwright-core';

/** One handled input: delays in ms from the event's timeStamp. */
export interface InputDelay {
  type: string;
  handler: number;
  frame: number;
}

/** Installs the recorder (once per page load). */
export async function recordInputDelays(page: Page): Promise<void> {
  await page.evaluate(() => {
    const g = globalThis as unknown as { __inputDelays?: InputDelay[] };
    if (g.__inputDelays) return;
    const delays: InputDelay[] = [];
    g.__inputDelays = delays;
    for (const type of ['pointerdown', 'pointerup', 'keydown']) {
      document.addEventListener(
        type,
        (e) => {
          const handler = performance.now() - e.timeStamp;
          requestAnimationFrame(() =>
            delays.push({ type, handler, frame: performance.now() - e.timeStamp }),
          );
        },
        { capture: true },
      );
    }
  });
}

/** The delays recorded so far. */
export function inputDelays(page: Page): Promise<InputDelay[]> {
  return page.evaluate(
    () => (globalThis as unknown as { __inputDelays?: InputDelay[] }).__inputDelays ?? [],
  );
}

/**
 * One round of real input on the home demo: a short stroke on the drawing
 * pad (mouse down, move, up) and a key press (Tab, moving the focus).
 */
export async function poke(page: Page, selector: string, round: number): Promise<void> {
  const box = await page.locator(selector).boundingBox();
  if (box === null) throw new Error(`poke: expected ${selector} on the page, received none`);
  const x = box.x + box.width * (0.3 + 0.05 * (round % 8));
  const y = box.y + box.height * 0.5;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + 20, y + 20, { steps: 2 });
  await page.mouse.up();
  await page.keyboard.press('Tab');
}
