/**
 * The bench CNN's conv calls alone (issue 16): forward, input gradient and
 * weight gradient of both layers at b64, process CPU and wall ms per call,
 * the column-matrix tasks ("old", NERVE_CPU_CONV_IMPLICIT=0) and the
 * implicit ones ("new") alternated in one process, 3 rounds.
 *   node --import tsx --conditions=@nerve/source scripts/conv-bench.ts [reps] [threads]
 */
import type { Conv2dParams } from '@nerve/core/backend';
import { setThreads, threadsReady } from '../src/index.js';
import { CpuBackend } from '../src/cpu-backend.js';
import type { ThreadPool } from '../src/threads/thread-pool.js';
import { getWasmRuntime } from '../src/wasm/runtime.js';

const reps = Number(process.argv[2] ?? 50);
const threads = Number(process.argv[3] ?? 1);
setThreads(threads);
await threadsReady();

function params(n: number, c: number, h: number, o: number): Conv2dParams {
  return {
    batch: n,
    inChannels: c,
    inHeight: h,
    inWidth: h,
    outChannels: o,
    kernelHeight: 3,
    kernelWidth: 3,
    strideH: 1,
    strideW: 1,
    padH: 1,
    padW: 1,
    dilationH: 1,
    dilationW: 1,
    outHeight: h,
    outWidth: h,
    groups: 1,
  } as Conv2dParams;
}

const b = new CpuBackend();
const layers: [string, Conv2dParams][] = [
  ['conv1 1→16 28²', params(64, 1, 28, 16)],
  ['conv2 16→32 14²', params(64, 16, 14, 32)],
];
for (const [name, p] of layers) {
  const xs = p.batch * p.inChannels * p.inHeight * p.inWidth;
  const ws = p.outChannels * p.inChannels * 9;
  const ys = p.batch * p.outChannels * p.outHeight * p.outWidth;
  const x = b.upload(
    new Float32Array(xs).map((_, i) => Math.sin(i * 0.37)),
    'float32',
  );
  const w = b.upload(
    new Float32Array(ws).map((_, i) => Math.cos(i * 0.11)),
    'float32',
  );
  const dy = b.upload(
    new Float32Array(ys).map((_, i) => Math.sin(i * 0.07)),
    'float32',
  );
  const calls: [string, () => unknown][] = [
    ['conv2d', () => b.conv2d(x, w, p)],
    ['backwardInput', () => b.conv2dBackwardInput(dy, w, p)],
    ['backwardFilter', () => b.conv2dBackwardFilter(x, dy, p)],
  ];
  for (const [op, f] of calls) {
    if (process.env.ONLY && process.env.ONLY !== `${name.slice(0, 5)} ${op}`) continue;
    // Old (column-matrix tasks) and new (implicit) alternated, 3 rounds.
    const row: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const variant of ['old', 'new']) {
        process.env.NERVE_CPU_CONV_IMPLICIT = variant === 'old' ? '0' : '1';
        for (let i = 0; i < 3; i++) b.free(f() as never);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) b.free(f() as never);
        const wall = (performance.now() - t0) / reps;
        const c = process.cpuUsage(c0);
        const cpu = (c.user + c.system) / 1000 / reps;
        row.push(`${variant} ${cpu.toFixed(2)}/${wall.toFixed(2)}`);
      }
    }
    // Which thread ran each task of the last call (0 = the caller).
    const pool = getWasmRuntime()?.runner as Partial<ThreadPool> | undefined;
    const ran = threads > 1 && pool?.lastRunThreads ? Array.from(pool.lastRunThreads()) : [];
    const helped = ran.filter((t) => t !== 0).length;
    console.log(
      `${name.padEnd(16)} ${op.padEnd(15)} cpu/wall ms: ${row.join('  ')}${ran.length ? `  (last call: ${helped}/${ran.length} tasks on workers)` : ''}`,
    );
  }
}
process.exit(0);
