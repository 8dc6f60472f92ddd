/**
 * bench:cpu's matmul cell against the bare GEMM, in one process, alternated,
 * by this process's CPU time (not a test: prints numbers):
 *   npx tsx --conditions=@nerve/source packages/backend-cpu/scripts/mm-cell.ts [size] [rounds] [threads]
 * rows: `cell` = core.matmul + dataSync (what bench:cpu times), `op` =
 * core.matmul alone, `gemm-js` = gemm() on JS-heap arrays (gemm-bench.ts),
 * `gemm-heap` = gemm() on heap operands and a heap C.
 */
import { loadavg } from 'node:os';
import * as core from '@nerve/core';
import { setThreads, threadsReady } from '../src/index.js';
import { gemm, GemmScratch } from '../src/kernels/gemm-blocked.js';
import { allocF32 } from '../src/alloc.js';

const size = Number(process.argv[2] ?? 1024);
const rounds = Number(process.argv[3] ?? 5);
setThreads(Number(process.argv[4] ?? 1));
await threadsReady();
await core.ready('cpu');
core.setBackend('cpu');
const n = size;
function rand(len: number): Float32Array {
  const a = new Float32Array(len);
  for (let i = 0; i < len; i++) a[i] = Math.random() * 2 - 1;
  return a;
}
const av = rand(n * n);
const bv = rand(n * n);
const a = core.keep(core.tensor(av, { shape: [n, n] }));
const b = core.keep(core.tensor(bv, { shape: [n, n] }));
const scratch = new GemmScratch();
const cJs = new Float32Array(n * n);
const aH = allocF32(n * n);
aH.set(av);
const bH = allocF32(n * n);
bH.set(bv);
const cH = allocF32(n * n);
const g = (x: Float32Array, y: Float32Array, c: Float32Array) =>
  gemm(
    {
      m: n,
      n,
      k: n,
      a: x,
      aOff: 0,
      transA: false,
      b: y,
      bOff: 0,
      transB: false,
      c,
      cOff: 0,
      accumulate: false,
    },
    scratch,
  );
const rows: Record<string, () => void> = {
  cell: () => core.tidy(() => void core.matmul(a, b).dataSync()),
  op: () => core.tidy(() => void core.matmul(a, b)),
  'gemm-js': () => g(av, bv, cJs),
  'gemm-heap': () => g(aH, bH, cH),
};
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const flop = 2 * n * n * n;
const inner = Math.max(1, Math.round(4e8 / flop));
for (const f of Object.values(rows)) for (let i = 0; i < 3; i++) f();
const res: Record<string, number[]> = {};
for (let r = 0; r < rounds; r++) {
  for (const [name, f] of Object.entries(rows)) {
    const t0 = cpu();
    const w0 = performance.now();
    for (let i = 0; i < inner; i++) f();
    const ms = (process.argv[4] ?? '1') === '1' ? cpu() - t0 : performance.now() - w0;
    (res[name] ??= []).push((flop * inner) / (ms * 1e6));
  }
}
const med = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1];
for (const [name, v] of Object.entries(res)) {
  console.log(
    `${name.padEnd(10)} median ${med(v).toFixed(1)} GFLOP/s, best ${Math.max(...v).toFixed(1)}`,
  );
}
console.log(
  `load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
process.exit(0);
