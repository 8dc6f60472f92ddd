/**
 * Ceiling of the micro-kernel alone: one MR×kc A panel and one kc×NR B panel
 * that stay in L1, multiplied over and over (process CPU time, median of 9).
 *   npx tsx --conditions=@nerve/source packages/backend-cpu/scripts/micro-ceiling.ts
 */
import { getWasmRuntime, setKernelMode } from '../src/wasm/runtime.js';

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

for (const mode of ['relaxed', 'simd'] as const) {
  setKernelMode(mode);
  const rt = getWasmRuntime()!;
  // A scratch region (a wasm-heap block where tensors live in the heap).
  const at = rt.scratch(1 << 20);
  const mem = rt.f32();
  for (let i = 0; i < 1 << 16; i++) mem[(at >> 2) + i] = Math.random();
  const micro = rt.instance.exports.micro as (...a: number[]) => void;
  const { mr, nr } = rt.tile;
  const kc = 256;
  const calls = 20000;
  // Let V8 tier the module up from Liftoff to TurboFan first (a background compile).
  const t = performance.now();
  while (performance.now() - t < 1000) micro(kc, at + 1024, at + 65536, at + 131072, nr * 4, 0);
  const reps: number[] = [];
  for (let r = 0; r < 9; r++) {
    const t0 = cpuMicros();
    for (let i = 0; i < calls; i++) micro(kc, at + 1024, at + 65536, at + 131072, nr * 4, 0);
    reps.push(cpuMicros() - t0);
  }
  reps.sort((a, b) => a - b);
  const flop = 2 * mr * nr * kc * calls;
  console.log(`${mode}: ${(flop / (reps[4] * 1e3)).toFixed(1)} GFLOP/s (${mr}×${nr}, kc ${kc})`);
}
