/**
 * The page side of bench:cpu's `nerve-page` column (nerve-page.ts bundles
 * this with esbuild and serves it cross-origin isolated, so the CPU
 * backend's wasm heap and SharedArrayBuffer exist as in Node): the same
 * cells as the Node column (nerve-cells.ts), timed inside the page so no
 * DevTools round trip lands in a step.
 */
import { getThreads, setThreads, threadsReady } from '@nerve/backend-cpu';
import * as core from '@nerve/core';
import { type Cell, matmulCell, trainCell } from './nerve-cells.js';
import { WORKLOADS } from './workloads.js';

export interface PageRun {
  steps: number;
  seconds: number;
  check: number;
  /** Untimed steps run before the timed ones in this call (for the caller's CPU time per step). */
  untimed: number;
}

const cells = new Map<string, { cell: Cell; stepSeconds: number }>();

async function prepare(name: string): Promise<{ cell: Cell; stepSeconds: number }> {
  const w = WORKLOADS.find((x) => x.name === name);
  if (!w) throw new Error(`unknown workload ${name}`);
  if (w.kind === 'depthwise') throw new Error('nerve-page runs the matmul and training rows only');
  const cell = w.kind === 'matmul' ? await matmulCell(core, w) : await trainCell(core, w);
  // Warm-up as child.ts's: JIT, kernels, scratch, for ~200 ms (at most 50 steps).
  const t0 = performance.now();
  let last = 0;
  for (let i = 0; i < 1 || (performance.now() - t0 < 200 && i < 50); i++) {
    const t = performance.now();
    await cell.step();
    last = (performance.now() - t) / 1000;
  }
  return { cell, stepSeconds: last };
}

/** Builds and warms a cell up once (a separate call, so the caller's CPU time can leave it out). */
async function ensure(name: string): Promise<{ cell: Cell; stepSeconds: number }> {
  let entry = cells.get(name);
  if (!entry) {
    entry = await prepare(name);
    cells.set(name, entry);
  }
  return entry;
}

/** child.ts's measure(), in the page. */
async function run(name: string, seconds: number): Promise<PageRun> {
  const entry = await ensure(name);
  const { cell } = entry;
  const untimed = entry.stepSeconds < seconds / 4 ? 1 : 0;
  if (untimed) await cell.step();
  let steps = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (steps < 1 || elapsed < seconds) {
    await cell.step();
    steps++;
    elapsed = (performance.now() - t0) / 1000;
  }
  entry.stepSeconds = elapsed / steps;
  return { steps, seconds: elapsed, check: cell.check, untimed };
}

async function start(): Promise<string> {
  setThreads(1);
  await threadsReady();
  await core.ready('cpu');
  core.setBackend('cpu');
  const isolated = globalThis.crossOriginIsolated === true;
  return `nerve cpu backend in Chromium ${navigator.userAgent.match(/Chrome\/([\d.]+)/)?.[1] ?? '?'} (${getThreads()} thread, ${isolated ? 'cross-origin isolated' : 'NOT isolated: no wasm heap'})`;
}

(globalThis as unknown as { nervePage: unknown }).nervePage = {
  ready: start(),
  run,
  prepare: async (name: string) => void (await ensure(name)),
};
