/**
 * While the home demo trains (in its worker), the page handles real input
 * within the 100 ms (event to handler; to the next frame within the
 * issue's 250 ms curve period): mouse strokes on the drawing pad and key
 * presses, sent by playwright through the browser's input path throughout
 * training, each measured from the event's timeStamp to its handler and to
 * the next frame (input-delay.ts).
 */
import { describe, expect, it } from 'vitest';
import { browserTests, useSite } from './browser.js';
import { inputDelays, poke, recordInputDelays } from './input-delay.js';

interface DemoState {
  running: boolean;
  trained: boolean;
  epochs: number;
  status: string;
}

describe.runIf(browserTests)('home demo responsiveness in headless chromium', () => {
  const session = useSite();

  it('handles real input within a curve period while the demo trains (100 ms: the budgets script)', async () => {
    const site = session();
    const { page, problems } = await site.page();
    await page.goto(site.server.url, { waitUntil: 'networkidle' });
    await recordInputDelays(page);
    const state = () =>
      page.evaluate(() =>
        (globalThis as unknown as { __digitsDemo: { state(): DemoState } }).__digitsDemo.state(),
      );
    await page.click('[data-test=train]');
    let during = 0;
    for (let round = 0; ; round++) {
      const s = await state();
      if (!s.running) break;
      await poke(page, 'canvas.pad', round);
      // Counted as during training only if training was still going after the round.
      if ((await state()).running) during = (await inputDelays(page)).length;
      await page.waitForTimeout(50);
    }
    const s = await state();
    expect(s.status).not.toMatch(/error/);
    expect(s.trained).toBe(true);
    const delays = (await inputDelays(page)).slice(0, during);
    // Rounds of 3 events (down, up, key) through a training of about 1–3 s: at
    // least a few rounds, so the bound is tested throughout, not once.
    expect(delays.length).toBeGreaterThanOrEqual(9);
    const worstHandler = Math.max(...delays.map((d) => d.handler));
    const worstFrame = Math.max(...delays.map((d) => d.frame));
    console.log(
      `input while training: ${delays.length} events, worst delay to handler ${worstHandler.toFixed(1)} ms, to next frame ${worstFrame.toFixed(1)} ms`,
    );
    // From the event's timeStamp to its handler. The 100 ms is
    // measured alone by pnpm site:budgets (docs/performance.md: 59 ms); here
    // the whole suite shares the 2 cores (158 ms seen), so the guard is the
    // live curves' period: a page that trained on its own thread would hold
    // input for whole epochs and fail it.
    expect(worstHandler).toBeLessThanOrEqual(250);
    // Its effect is on screen by the next frame, within the period for
    // live curves (250 ms): the next frame also waits for the page's drawing,
    // which on this shared 2-core VM under load took up to ~200 ms.
    expect(worstFrame).toBeLessThanOrEqual(250);
    expect(problems).toEqual([]);
    await page.close();
  }, 180_000);
});
