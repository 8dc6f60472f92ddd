/**
 * In-process A/B of the pool's spin (issue 16, two threads with margin): the
 * bench:cpu cells (bench/cpu/nerve-cells.ts) for the MLP b128, the CNN b64 and
 * matmul 1024³, each timed in alternating blocks with the default spin
 * (1 ms, adaptive) and the pool's spin before (50 µs, fixed); medians of the
 * blocks' wall and process CPU time per step.
 *   node --import tsx --conditions=@nerve/source packages/backend-cpu/scripts/spin-ab.ts [--threads 2] [--blocks 10] [--ms 250] [--workloads mlp,cnn,mm1024]
 */
import { execSync } from 'node:child_process';
import { setThreads, threadsReady } from '@nerve/backend-cpu';
import * as core from '@nerve/core';
import { matmulCell, trainCell } from '../../../bench/cpu/nerve-cells.js';
import {
  type MatmulWorkload,
  type TrainWorkload,
  WORKLOADS,
} from '../../../bench/cpu/workloads.js';
import type { ThreadPool } from '../src/threads/thread-pool.js';
import { getWasmRuntime } from '../src/wasm/runtime.js';
import { arg } from './bn-cnn.js';

const threads = Number(arg('threads', '2'));
const blocks = Number(arg('blocks', '10'));
const blockMs = Number(arg('ms', '250'));
setThreads(threads);
await threadsReady();
await core.ready('cpu');
core.setBackend('cpu');
const pool = getWasmRuntime()?.runner as ThreadPool;
const spin = pool.setSpinMicros(50);
const waitSpin = pool.setWaitSpinMicros(50);
const set = (old: boolean) => {
  pool.setSpinMicros(old ? 50 : spin);
  pool.setWaitSpinMicros(old ? 50 : waitSpin);
  pool.setAdaptiveSpin(!old);
};
const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const uptime = () => execSync('uptime').toString().trim();
console.log(`${uptime()}; ${threads} threads; new = spin ${spin} µs adaptive, old = 50 µs fixed`);
for (const name of arg('workloads', 'mlp,cnn,mm1024').split(',')) {
  const w = WORKLOADS.find((x) => x.name === name);
  if (!w) throw new Error(`unknown workload ${name}`);
  const cell =
    'params' in w
      ? await trainCell(core, w as TrainWorkload)
      : await matmulCell(core, w as MatmulWorkload);
  set(false);
  for (let i = 0; i < 5; i++) cell.step();
  const t = performance.now();
  cell.step();
  const per = Math.max(1, Math.round(blockMs / Math.max(0.05, performance.now() - t)));
  const res = {
    new: { wall: [] as number[], cpu: [] as number[] },
    old: { wall: [] as number[], cpu: [] as number[] },
  };
  for (let b = 0; b < 2 * blocks; b++) {
    const v = b % 2 === 0 ? 'new' : 'old';
    set(v === 'old');
    cell.step();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < per; i++) cell.step();
    const c = process.cpuUsage(c0);
    res[v].wall.push((performance.now() - t0) / per);
    res[v].cpu.push((c.user + c.system) / 1000 / per);
  }
  set(false);
  cell.dispose?.();
  const line = (v: 'new' | 'old') =>
    `${v} wall ${med(res[v].wall).toFixed(3)} ms (min ${Math.min(...res[v].wall).toFixed(3)}), CPU ${med(res[v].cpu).toFixed(3)} ms`;
  console.log(
    `${name} (${per} steps a block): ${line('new')}; ${line('old')}; new/old wall ${(med(res.new.wall) / med(res.old.wall)).toFixed(3)}`,
  );
}
console.log(uptime());
process.exit(0);
