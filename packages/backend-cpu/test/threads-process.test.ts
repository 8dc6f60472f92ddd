import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { threadsSupported } from '../src/threads/platform.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-threads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const src = (p: string) => fileURLToPath(new URL(`../src/threads/${p}`, import.meta.url));
const support = (p: string) => fileURLToPath(new URL(`./support/${p}`, import.meta.url));

// A script that starts a pool, uses it, and then just returns: no terminate().
const ENTRY = `
import { createThreadPool } from ${JSON.stringify(src('thread-pool.ts'))};
import { testModuleBytes } from ${JSON.stringify(support('thread-test-module.ts'))};
const module = new WebAssembly.Module(testModuleBytes(1, 64));
const memory = new WebAssembly.Memory({ initial: 1, maximum: 64, shared: true });
const pool = createThreadPool(module, memory, 3);
const live = await pool.ready();
pool.run('fill', Array.from({ length: 32 }, (_, t) => [t * 64, 16, t]));
const words = new Int32Array(memory.buffer);
console.log(JSON.stringify({ live, last: words[31 * 16 + 15], workers: [...new Set(pool.lastRunThreads())].length }));
`;

describe.runIf(threadsSupported())('thread pool in a separate process', () => {
  it('bundles into one browser-platform file with no node: imports, and an idle pool lets Node exit', async () => {
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, ENTRY);
    const out = join(dir, 'bundle.mjs');
    // platform 'browser' fails the build on any static Node built-in import.
    await build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      conditions: ['@nerve/source'],
      outfile: out,
      logLevel: 'silent',
    });
    const t0 = performance.now();
    const child = spawnSync(process.execPath, [out], { encoding: 'utf8', timeout: 20_000 });
    const seconds = (performance.now() - t0) / 1000;
    expect(child.error).toBeUndefined();
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toMatchObject({ live: 3, last: 31 });
    // It exits on its own soon after its last line, not at the 20 s kill.
    expect(seconds).toBeLessThan(15);
  });
});
