/**
 * GEMM throughput per kernel mode and layout (not a test: prints numbers).
 *   npx tsx --conditions=@nerve/source packages/backend-cpu/scripts/gemm-bench.ts [sizes] [modes] [layouts] [rounds]
 * e.g. `... gemm-bench.ts 256,1024 relaxed,simd NN,TN 3`. Timed by this
 * process's CPU time (process.cpuUsage), which other processes on a shared
 * machine inflate far less than wall time (WALL=1 switches to wall time).
 * The grid is swept `rounds` times so machine-load swings hit every cell;
 * each cell prints the median over all reps and the best rep.
 */
import { loadavg } from 'node:os';
import { type GemmArgs, gemm, GemmScratch } from '../src/kernels/gemm-blocked.js';
import { type KernelMode, setKernelMode } from '../src/wasm/runtime.js';

/** Square sizes, plus `fc1` / `fc2` for the MLP training shapes. */
const sizes = (process.argv[2] ?? '128,256,512,1024,fc1,fc2').split(',');
const modes = (process.argv[3] ?? 'relaxed,simd,scalar').split(',') as KernelMode[];
const layouts = (process.argv[4] ?? 'NN,TN,NT,TT').split(',');
const rounds = Number(process.argv[5] ?? 3);
const wall = process.env.WALL === '1';
const scratch = new GemmScratch();

function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

function now(): number {
  if (wall) return performance.now() * 1000;
  const u = process.cpuUsage();
  return u.user + u.system;
}

const NAMED: Record<string, [string, number, number, number]> = {
  fc1: ['128×784·784×256', 128, 256, 784],
  fc2: ['128×256·256×128', 128, 128, 256],
};
const shapes = sizes.map((s): [string, number, number, number] =>
  NAMED[s] ? NAMED[s] : [`${s}³`, Number(s), Number(s), Number(s)],
);

/** GFLOP/s of `reps` timed batches of calls (each batch ≥ ~5 ms on the fast path). */
function measure(g: GemmArgs, reps: number): number[] {
  const flop = 2 * g.m * g.n * g.k;
  const inner = Math.max(1, Math.round(2e8 / flop));
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = now();
    for (let i = 0; i < inner; i++) gemm(g, scratch);
    out.push((flop * inner) / ((now() - t0) * 1e3));
  }
  return out;
}

const cells = new Map<string, number[]>();
for (let round = 0; round < rounds; round++) {
  for (const mode of modes) {
    setKernelMode(mode);
    // Let V8 tier the kernels up from Liftoff to TurboFan (a background compile) first.
    const warm = performance.now();
    const w = { m: 96, n: 96, k: 96, a: rand(96 * 96), b: rand(96 * 96), c: rand(96 * 96) };
    while (performance.now() - warm < (round === 0 ? 1500 : 200)) {
      gemm(
        { ...w, aOff: 0, bOff: 0, cOff: 0, transA: false, transB: false, accumulate: false },
        scratch,
      );
    }
    for (const [name, m, n, k] of shapes) {
      const a = rand(m * k);
      const b = rand(k * n);
      const c = new Float32Array(m * n);
      for (const l of layouts) {
        const g = { m, n, k, a, aOff: 0, b, bOff: 0, c, cOff: 0, accumulate: false };
        const reps = measure({ ...g, transA: l[0] === 'T', transB: l[1] === 'T' }, 3);
        const key = `${mode}|${name}|${l}`;
        cells.set(key, [...(cells.get(key) ?? []), ...reps]);
      }
    }
  }
}
setKernelMode('auto');

console.log(`timing: ${wall ? 'wall clock' : 'process CPU time'}; ${rounds} rounds × 3 reps`);
console.log(
  `load average at the end ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log('cells: median / best GFLOP/s');
for (const mode of modes) {
  for (const [name] of shapes) {
    const row = layouts.map((l) => {
      const v = (cells.get(`${mode}|${name}|${l}`) ?? []).sort((x, y) => x - y);
      const med = v[Math.floor(v.length / 2)];
      return `${l} ${med.toFixed(1).padStart(5)} / ${v[v.length - 1].toFixed(1).padStart(5)}`;
    });
    console.log(`${mode.padEnd(8)} ${name.padEnd(16)} ${row.join('  ')}`);
  }
}
