/**
 * Before/after for issue 16's softmax cross-entropy, float32 sum and batch
 * norm kernels, in one process (the machine is shared: CPU time, the
 * variants alternating block by block, medians):
 *   node --import tsx --conditions=@nerve/source scripts/simd-ab.ts [--rounds 7] [--only kernels,steps]
 * "before" hides the fused cross-entropy kernels (core composes log-softmax,
 * gather, mean and their gradients), sends float32 sums to the earlier
 * one-accumulator loop and batch norm to its JavaScript loops; "after" is
 * the default. Kernel rows time the kernels alone; step rows the bench's
 * digits / MLP / CNN steps (bench/cpu/nerve-cells.ts) and a batch-norm CNN.
 */
import os from 'node:os';
import * as core from '@nerve/core';
import { trainCell } from '../../../bench/cpu/nerve-cells.js';
import { WORKLOADS, type TrainWorkload } from '../../../bench/cpu/workloads.js';
import '../src/index.js';
import { CpuBackend } from '../src/cpu-backend.js';
import { setBatchNormSimdDisabled } from '../src/kernels/batchnorm-simd.js';
import { setReduceSimdDisabled } from '../src/kernels/reduce-simd.js';
import { setSoftmaxSimdDisabled } from '../src/kernels/softmax-simd.js';
import { arg, batchNormCnn, labels, trainStep } from './bn-cnn.js';

const rounds = Number(arg('rounds', '7'));
const only = arg('only', 'kernels,steps').split(',');
await core.ready('cpu');
core.setBackend('cpu');

const CE = ['softmaxCrossEntropy', 'softmaxCrossEntropyBackward'];
function variant<T>(before: boolean, fn: () => T): T {
  setReduceSimdDisabled(before);
  setBatchNormSimdDisabled(before);
  setSoftmaxSimdDisabled(before);
  try {
    return before ? core.withoutOptionalKernels(fn, CE) : fn();
  } finally {
    setReduceSimdDisabled(false);
    setBatchNormSimdDisabled(false);
    setSoftmaxSimdDisabled(false);
  }
}

/** CPU ms per call of `fn` over `reps` calls, each awaited (a training step ends in a read). */
async function block(fn: () => unknown, reps: number): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / reps;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

/** Alternates before/after blocks; prints medians and the ratio. */
async function ab(label: string, before: () => unknown, after: () => unknown): Promise<void> {
  // Size a block to about 150 ms of the before variant.
  for (let i = 0; i < 3; i++) {
    await before();
    await after();
  }
  const t = await block(before, 3);
  const reps = Math.max(3, Math.round(150 / Math.max(t, 1e-3)));
  const b: number[] = [];
  const a: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      b.push(await block(before, reps));
      a.push(await block(after, reps));
    } else {
      a.push(await block(after, reps));
      b.push(await block(before, reps));
    }
  }
  const mb = median(b);
  const ma = median(a);
  console.log(
    `${label.padEnd(44)} before ${mb.toFixed(4).padStart(9)} ms  after ${ma.toFixed(4).padStart(9)} ms  ×${(mb / ma).toFixed(2)}  (load ${os.loadavg()[0].toFixed(2)})`,
  );
}

function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

console.log(
  `simd-ab: ${os.cpus().length} CPUs, load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
if (only.includes('kernels')) {
  const b = new CpuBackend();
  const free = (...ids: unknown[]) => {
    for (const id of ids) b.free(id as never);
  };
  for (const [outer, size, inner, what] of [
    [16, 50176, 1, 'conv1 bias grad [16, 64·28²]'],
    [32, 12544, 1, 'conv2 bias grad [32, 64·14²]'],
    [1, 128, 256, 'fc1 bias grad [128, 256] axis 0'],
    [1, 32, 128, 'digits bias grad [32, 128] axis 0'],
  ] as const) {
    const x = b.upload(rand(outer * size * inner, 1), 'float32');
    const run = () => free(b.reduce('sum', x, { dtype: 'float32', outer, size, inner }));
    await ab(
      `sum ${what}`,
      () => variant(true, run),
      () => variant(false, run),
    );
    free(x);
  }
  for (const [n, c] of [
    [256, 1000],
    [64, 100],
  ]) {
    const x = b.upload(rand(n * c, 9, -3, 3), 'float32');
    for (const log of [false, true]) {
      const run = () =>
        free(log ? b.logSoftmax(x, { outer: n, size: c }) : b.softmax(x, { outer: n, size: c }));
      await ab(
        `${log ? 'logSoftmax' : 'softmax'} [${n}, ${c}]`,
        () => variant(true, run),
        () => variant(false, run),
      );
    }
    free(x);
  }
  for (const [n, c] of [
    [32, 10],
    [128, 10],
    [256, 1000],
  ]) {
    const x = core.keep(core.tensor(rand(n * c, 2, -3, 3), { shape: [n, c] }));
    x.requiresGrad = true;
    const y = labels(n, c);
    const run = () =>
      core.tidy(() => {
        core.softmaxCrossEntropy(x, y).backward();
        x.grad?.dispose();
        x.grad = null;
      });
    await ab(
      `cross-entropy fwd+bwd [${n}, ${c}] (composed → fused)`,
      () => variant(true, run),
      () => variant(false, run),
    );
    x.dispose();
    y.dispose();
  }
  for (const [n, c, hw] of [
    [64, 16, 28],
    [64, 32, 14],
  ]) {
    const size = n * c * hw * hw;
    const x = b.upload(rand(size, 3), 'float32');
    const dy = b.upload(rand(size, 4), 'float32');
    const mean = b.upload(rand(c, 5, -0.1, 0.1), 'float32');
    const variance = b.upload(rand(c, 6, 0.5, 2), 'float32');
    const w = b.upload(rand(c, 7, 0.5, 1.5), 'float32');
    const p = { outer: n, channels: c, inner: hw * hw, eps: 1e-5 };
    const fwd = () => free(b.batchNormForward(x, mean, variance, w, w, p));
    const bwd = () => {
      const r = b.batchNormBackward(x, dy, mean, variance, w, p);
      free(r.dx, r.dweight, r.dbias);
    };
    await ab(
      `batchNormForward [${n}, ${c}, ${hw}²]`,
      () => variant(true, fwd),
      () => variant(false, fwd),
    );
    await ab(
      `batchNormBackward [${n}, ${c}, ${hw}²]`,
      () => variant(true, bwd),
      () => variant(false, bwd),
    );
    free(x, dy, mean, variance, w);
  }
}

// --variant before|after --workload digits: one variant alone in this process (no
// alternation, so no shared JIT state): CPU ms per step over 2000 steps after 300 warm-up.
const single = process.argv.includes('--variant') ? arg('variant', 'after') : null;
if (single) {
  const w = WORKLOADS.find((x) => x.name === arg('workload', 'digits')) as TrainWorkload;
  const before = single === 'before';
  const cell = await variant(before, () => trainCell(core, w));
  const step = () => variant(before, () => cell.step());
  for (let i = 0; i < 300; i++) await step();
  const n = Number(arg('steps', '2000'));
  console.log(
    `${w.name} ${single}: ${(await block(step, n)).toFixed(4)} ms CPU/step (load ${os.loadavg()[0].toFixed(2)})`,
  );
  process.exit(0);
}

if (only.includes('steps')) {
  const work = (name: string) => WORKLOADS.find((w) => w.name === name) as TrainWorkload;
  for (const name of ['digits', 'mlp', 'cnn']) {
    const before = await variant(true, () => trainCell(core, work(name)));
    const after = await trainCell(core, work(name));
    // trainCell's step is async only for its final read; the CPU work is synchronous.
    await ab(
      `${name} step`,
      () => variant(true, () => before.step()),
      () => after.step(),
    );
    before.dispose();
    after.dispose();
  }
  // A CNN with batch norm after each conv (the bench CNN plus BatchNorm2d), SGD, batch 64.
  const { SGD } = await import('@nerve/optim');
  const bnCnn = () => {
    const model = batchNormCnn();
    const opt = new SGD(model.parameters(), { lr: 0.01 });
    const x = core.keep(core.tensor(rand(64 * 784, 8), { shape: [64, 1, 28, 28] }));
    const y = labels(64);
    return () => trainStep(model, opt, x, y);
  };
  const sb = bnCnn();
  const sa = bnCnn();
  await ab(
    'batch-norm CNN step (b64)',
    () => variant(true, () => void sb()),
    () => void sa(),
  );
}
process.exit(0);
