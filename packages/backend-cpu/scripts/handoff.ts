/**
 * Hand-off latency of the worker pool (issue 16): run() of two empty tasks
 * (packB with k = 0) after the caller busy-waits `gap` µs, for several spin
 * settings; prints the median and 10th percentile of run()'s wall time and
 * the share of runs in which the worker took a task.
 *   node --import tsx --conditions=@nerve/source packages/backend-cpu/scripts/handoff.ts
 */
import { execSync } from 'node:child_process';
import { setThreads, threadsReady } from '@nerve/backend-cpu';
import { getWasmRuntime } from '../src/wasm/runtime.js';
import type { ThreadPool } from '../src/threads/thread-pool.js';

setThreads(2);
await threadsReady();
const pool = getWasmRuntime()?.runner as ThreadPool;
const task = [0, 1, 1, 0, 1, 8, 8, 0, 8, 0];
const busy = (us: number) => {
  const t = performance.now() + us / 1000;
  while (performance.now() < t) {}
};
console.log(execSync('uptime').toString().trim());
for (const spin of [50, 300, 50, 1000]) {
  pool.setSpinMicros(spin);
  for (const gap of [0, 30, 100, 250, 1000]) {
    const times: number[] = [];
    let byWorker = 0;
    for (let r = 0; r < 400; r++) {
      busy(gap);
      const t = performance.now();
      pool.run('packB', [task, task]);
      times.push((performance.now() - t) * 1000);
      if (pool.lastRunThreads().some((id) => id !== 0)) byWorker++;
    }
    times.sort((a, b) => a - b);
    console.log(
      `spin ${spin} µs, gap ${gap} µs: run() median ${times[200].toFixed(1)} µs, p10 ${times[40].toFixed(1)}, p90 ${times[360].toFixed(1)}; worker took a task in ${((byWorker / 400) * 100).toFixed(0)}%`,
    );
  }
}
console.log(execSync('uptime').toString().trim());
process.exit(0);
