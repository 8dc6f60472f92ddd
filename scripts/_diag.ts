import { join } from 'node:path';
import { inputDelays, poke, recordInputDelays } from '../apps/site/test/input-delay.js';
import { serveSite } from '../apps/site/test/serve.js';
import { launchChromium } from '../test/browser/chromium.js';
const server = await serveSite(join(process.cwd(), 'apps/site/.vitepress/dist'));
const browser = await launchChromium();
const page = await browser.context.newPage();
await page.setViewportSize({ width: 1280, height: 1400 });
await page.goto(server.url, { waitUntil: 'networkidle' });
await recordInputDelays(page);
await page.evaluate(() => {
  (globalThis as any).__long = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) (globalThis as any).__long.push([Math.round(e.startTime), Math.round(e.duration)]); }).observe({ type: 'longtask', buffered: true });
});
const state = () => page.evaluate(() => (globalThis as any).__digitsDemo.state());
const t0 = await page.evaluate(() => performance.now());
await page.click('[data-test=train]');
for (let round = 0; ; round++) {
  if (!(await state()).running) break;
  await poke(page, 'canvas.pad', round);
  await page.waitForTimeout(50);
}
const d = await page.evaluate(() => (globalThis as any).__inputDelays.map((x: any) => x));
console.log('delays', JSON.stringify(d.map((x: any) => [x.type, Math.round(x.handler), Math.round(x.frame)])));
console.log('long tasks (start rel, dur)', JSON.stringify((await page.evaluate(() => (globalThis as any).__long)).map((x: number[]) => [x[0] - Math.round(t0), x[1]])));
console.log((await state()).status, (await state()).firstAbove97);
await browser.close(); await server.close();
