/**
 * The `nerve-page` column of `pnpm bench:cpu -- --page`: nerve's CPU backend
 * in Chromium (/usr/bin/chromium through playwright-core, as the site and
 * thread-pool browser tests launch it), one thread, on a localhost page
 * served with COOP/COEP so it is cross-origin isolated (SharedArrayBuffer,
 * hence the shared wasm heap, exist as in Node). page-entry.ts is bundled
 * with esbuild and times the same cells as the Node column inside the page;
 * this process speaks child.ts's protocol for it.
 *   node --import tsx --conditions=@nerve/source bench/cpu/nerve-page.ts
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { type Browser, haveChromium, launchChromium } from '../../test/browser/chromium.js';
import { type Request, errorLine, send } from './child.js';
import type { PageRun } from './page-entry.js';
import { matmulFlops } from './workloads.js';

const HTML =
  '<!doctype html><meta charset="utf-8"><title>nerve bench</title><script type="module" src="page.js"></script>';

/**
 * CPU seconds (user + system) of every process below this one, i.e. the
 * browser's processes (the renderer doing the work, plus the browser and GPU
 * processes idling), from /proc; undefined where there is no /proc. Clock
 * ticks are 1/100 s on Linux.
 */
function browserCpuSeconds(): number | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(f[1]));
      ticks.set(Number(name), Number(f[11]) + Number(f[12]));
    } catch {
      // The process ended while we read.
    }
  }
  let total = 0;
  for (const [pid, t] of ticks) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === process.pid) {
        total += t;
        break;
      }
    }
  }
  return total / 100;
}

/** Bundles the page, serves it isolated, opens it; returns the page and a cleanup. */
async function open(): Promise<{ page: Page; info: string; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'nerve-bench-page-'));
  let server: Server | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    server?.closeAllConnections();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await build({
      entryPoints: [fileURLToPath(new URL('./page-entry.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      conditions: ['@nerve/source'],
      outfile: join(dir, 'page.js'),
      logLevel: 'silent',
    });
    const js = readFileSync(join(dir, 'page.js'));
    const isolation = {
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    };
    server = createServer((req, res) => {
      if (req.url === '/page.js') {
        res.writeHead(200, { ...isolation, 'content-type': 'text/javascript' }).end(js);
      } else if (req.url === '/') {
        res.writeHead(200, { ...isolation, 'content-type': 'text/html' }).end(HTML);
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    browser = await launchChromium();
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => 'nervePage' in globalThis, null, { timeout: 60_000 });
    const info = await page.evaluate(
      () => (globalThis as unknown as { nervePage: { ready: Promise<string> } }).nervePage.ready,
    );
    if (errors.length) throw new Error(errors[0]);
    return { page, info, close };
  } catch (e) {
    await close();
    throw e;
  }
}

if (!haveChromium) {
  send({ type: 'skip', reason: 'no /usr/bin/chromium' });
  process.exit(0);
}
let opened: Awaited<ReturnType<typeof open>>;
try {
  opened = await open();
} catch (e) {
  send({ type: 'skip', reason: `the page did not start: ${errorLine(e)}` });
  process.exit(0);
}
send({ type: 'hello', info: opened.info });
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const { workload: w, seconds } = JSON.parse(line) as Request;
  try {
    await opened.page.evaluate(
      (name) =>
        (
          globalThis as unknown as { nervePage: { prepare: (n: string) => Promise<void> } }
        ).nervePage.prepare(name),
      w.name,
    );
    const cpu0 = browserCpuSeconds();
    const r = await opened.page.evaluate(
      ([name, s]) =>
        (
          globalThis as unknown as {
            nervePage: { run: (n: string, s: number) => Promise<PageRun> };
          }
        ).nervePage.run(name, s),
      [w.name, seconds] as const,
    );
    const cpu1 = browserCpuSeconds();
    const perSecond = r.steps / r.seconds;
    const isMatmul = w.kind === 'matmul';
    send({
      type: 'result',
      workload: w.name,
      value: isMatmul ? (matmulFlops(w) * perSecond) / 1e9 : perSecond,
      unit: isMatmul ? 'GFLOP/s' : 'steps/s',
      steps: r.steps,
      seconds: r.seconds,
      check: r.check,
      // The browser's CPU time over the call, scaled to the timed steps (the warm-up ran before).
      ...(cpu0 !== undefined &&
        cpu1 !== undefined && { cpuSeconds: ((cpu1 - cpu0) * r.steps) / (r.steps + r.untimed) }),
    });
  } catch (e) {
    send({ type: 'error', workload: w.name, message: errorLine(e) });
  }
}
await opened.close();
process.exit(0);
