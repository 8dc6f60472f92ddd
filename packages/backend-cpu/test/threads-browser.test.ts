/**
 * The pool in a real browser: Blob-URL workers, and the calling thread (the
 * page's main thread, where Atomics.wait throws) spinning instead of blocking.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, haveChromium, launchChromium } from '../../../test/browser/chromium.js';

const src = (p: string) => fileURLToPath(new URL(`../src/threads/${p}`, import.meta.url));
const support = (p: string) => fileURLToPath(new URL(`./support/${p}`, import.meta.url));

// Runs on the page's main thread, where Atomics.wait throws: the pool must spin instead.
const ENTRY = `
import { createThreadPool } from ${JSON.stringify(src('thread-pool.ts'))};
import { threadsSupported } from ${JSON.stringify(src('platform.ts'))};
import { lcgReference, testModuleBytes } from ${JSON.stringify(support('thread-test-module.ts'))};
window.result = (async () => {
  const out = { supported: threadsSupported(), isolated: globalThis.crossOriginIsolated === true };
  if (!out.supported) return out;
  const module = new WebAssembly.Module(testModuleBytes(1, 64));
  const memory = new WebAssembly.Memory({ initial: 4, maximum: 64, shared: true });
  const pool = createThreadPool(module, memory, 3);
  out.live = await pool.ready();
  const words = new Int32Array(memory.buffer);
  const tasks = Array.from({ length: 128 }, (_, t) => [t * 256, 64, 300]);
  out.threadsUsed = 0;
  out.correct = true;
  for (let i = 0; i < 20 && out.threadsUsed < 2; i++) {
    for (let j = 0; j < 128 * 64; j++) words[j] = j;
    pool.run('lcg', tasks);
    for (let j = 0; j < 128 * 64; j += 61) out.correct &&= words[j] === lcgReference(j, 300);
    out.threadsUsed = new Set(pool.lastRunThreads()).size;
  }
  try {
    pool.run('boom', [[], []]);
  } catch (e) {
    out.error = e.message;
  }
  pool.run('fill', [[0, 4, 3], [16, 4, 5]]);
  out.afterError = Array.from(words.subarray(0, 8));
  pool.terminate();
  return out;
})();
`;

const PAGE = '<!doctype html><meta charset="utf-8"><script type="module" src="page.js"></script>';

// As in test/browser: skipped without chromium unless NERVE_REQUIRE_BROWSER=1 (CI).
const required = process.env.NERVE_REQUIRE_BROWSER === '1';
if (!haveChromium && !required) console.warn(`threads-browser: skipped: ${CHROMIUM} is missing`);

describe.runIf(haveChromium || required)('thread pool in Chromium', () => {
  it('runs on Blob workers in a cross-origin-isolated page, and is unsupported elsewhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nerve-threads-page-'));
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, ENTRY);
    await build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      conditions: ['@nerve/source'],
      outfile: join(dir, 'page.js'),
      logLevel: 'silent',
    });
    const js = readFileSync(join(dir, 'page.js'));
    // /isolated/ sends COOP + COEP (so SharedArrayBuffer exists); /plain/ sends neither.
    const server = createServer((req, res) => {
      const isolated = req.url?.startsWith('/isolated/');
      const headers: Record<string, string> = isolated
        ? {
            'cross-origin-opener-policy': 'same-origin',
            'cross-origin-embedder-policy': 'require-corp',
          }
        : {};
      if (req.url?.endsWith('/page.js'))
        res.writeHead(200, { ...headers, 'content-type': 'text/javascript' }).end(js);
      else if (req.url?.endsWith('/'))
        res.writeHead(200, { ...headers, 'content-type': 'text/html' }).end(PAGE);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${base}/isolated/`);
      const isolated = await page.evaluate(() => (window as unknown as { result: unknown }).result);
      expect(isolated).toEqual({
        supported: true,
        isolated: true,
        live: 3,
        threadsUsed: expect.any(Number),
        correct: true,
        error: expect.stringMatching(
          /^threadPool: boom failed in task [01] on thread [012]: .*unreachable/,
        ),
        afterError: [3, 3, 3, 3, 5, 5, 5, 5],
      });
      expect((isolated as { threadsUsed: number }).threadsUsed).toBeGreaterThanOrEqual(2);
      await page.goto(`${base}/plain/`);
      const plain = await page.evaluate(() => (window as unknown as { result: unknown }).result);
      expect(plain).toEqual({ supported: false, isolated: false });
    } finally {
      await browser.close();
      server.closeAllConnections();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
