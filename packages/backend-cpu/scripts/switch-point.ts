/**
 * Where the wasm GEMM starts beating the JS one: time per call of both on
 * small shapes (process CPU time, median of 7), for several shape families.
 *   npx tsx --conditions=@nerve/source packages/backend-cpu/scripts/switch-point.ts
 */
import { loadavg } from 'node:os';
import { type GemmArgs, gemm, GemmScratch } from '../src/kernels/gemm-blocked.js';
import { gemmWasm } from '../src/wasm/gemm-wasm.js';
import { getWasmRuntime, setKernelMode, supportedKernelModes } from '../src/wasm/runtime.js';

const scratch = new GemmScratch();
const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

function args(m: number, n: number, k: number, t: string): GemmArgs {
  const r = (len: number) => Float32Array.from({ length: len }, () => Math.random() - 0.5);
  return {
    m,
    n,
    k,
    a: r(m * k),
    aOff: 0,
    transA: t[0] === 'T',
    b: r(k * n),
    bOff: 0,
    transB: t[1] === 'T',
    c: new Float32Array(m * n),
    cOff: 0,
    accumulate: false,
  };
}

/** Median µs per call. */
function time(f: () => void, flop: number): number {
  const inner = Math.max(1, Math.round(3e6 / flop));
  const reps: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = cpuMicros();
    for (let i = 0; i < inner; i++) f();
    reps.push((cpuMicros() - t0) / inner);
  }
  return reps.sort((x, y) => x - y)[3];
}

const families: Record<string, [number, number, number][]> = {
  'square s³': [4, 6, 8, 10, 12, 14, 16, 20, 24, 32, 48].map((s) => [s, s, s]),
  'one row 1×k·k×n': [8, 16, 32, 64, 128, 256].map((s) => [1, s, s]),
  'thin k 64×k·k×64': [1, 2, 3, 4, 8, 16].map((k) => [64, 64, k]),
  'thin n 128×128·128×n': [1, 2, 3, 4, 8, 16].map((n) => [128, n, 128]),
};

const best = supportedKernelModes()[0];
console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; wasm mode ${best}`,
);
for (const [name, shapes] of Object.entries(families)) {
  console.log(name);
  for (const [m, n, k] of shapes) {
    const row: string[] = [];
    for (const layout of ['NN', 'TN', 'NT']) {
      const g = args(m, n, k, layout);
      setKernelMode('scalar');
      const js = time(() => gemm(g, scratch), 2 * m * n * k);
      setKernelMode(best);
      const rt = getWasmRuntime()!;
      const wasm = time(() => gemmWasm(g, rt), 2 * m * n * k);
      row.push(`${layout} js ${js.toFixed(2)} wasm ${wasm.toFixed(2)} µs`);
    }
    console.log(`  ${m}×${n}×${k} (mnk ${m * n * k}): ${row.join(' | ')}`);
  }
}
setKernelMode('auto');
