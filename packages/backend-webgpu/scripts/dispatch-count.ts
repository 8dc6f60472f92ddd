/**
 * Counts WebGPU work per training step (dispatches, submits, reads, uploads,
 * buffer copies) for the models of issue 5: the MLP 784-256-128-10 (ReLU,
 * cross-entropy; SGD with momentum 0.9 and Adam), the same MLP with
 * BatchNorm1d after each hidden Linear, and a small CNN
 * (conv3×3 16 → ReLU → maxpool 2 → conv3×3 32 → ReLU → maxpool 2 → dense 10).
 * Each step reads the loss back, as a training loop that logs it does.
 *
 * Small-model training on a GPU is bound by per-dispatch and per-read
 * overhead, so this is the number to drive down; it needs no real GPU.
 *
 *   npx tsx --conditions=@nerve/source packages/backend-webgpu/scripts/dispatch-count.ts [--kernels] [--json]
 *
 * `--kernels` also prints the dispatches per kernel of one step of each run.
 */
import '@nerve/backend-webgpu';
import {
  type Tensor,
  getBackend,
  keep,
  randint,
  randn,
  ready,
  setBackend,
  tidy,
} from '@nerve/core';
import {
  Conv2d,
  Flatten,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  Sequential,
  crossEntropy,
} from '@nerve/layers';
import { BatchNorm1d } from '@nerve/norm';
import { Adam, type Optimizer, SGD } from '@nerve/optim';
import type { WebGpuBackend, WebGpuStats } from '../src/index.js';

interface Run {
  name: string;
  model: () => Module;
  input: number[];
  optimizer: (params: Tensor[]) => Optimizer;
}

const mlp = (bn: boolean) => () =>
  new Sequential(
    new Linear(784, 256, { seed: 1 }),
    ...(bn ? [new BatchNorm1d(256)] : []),
    new ReLU(),
    new Linear(256, 128, { seed: 2 }),
    ...(bn ? [new BatchNorm1d(128)] : []),
    new ReLU(),
    new Linear(128, 10, { seed: 3 }),
  );

const cnn = () =>
  new Sequential(
    new Conv2d(1, 16, 3, { padding: 1, seed: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(16, 32, 3, { padding: 1, seed: 2 }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(32 * 7 * 7, 10, { seed: 3 }),
  );

const sgd = (params: Tensor[]) => new SGD(params, { lr: 0.01, momentum: 0.9 });
const adam = (params: Tensor[]) => new Adam(params, { lr: 1e-3 });

/** The runs reported in docs/benchmarks.md (batch 128 for the MLPs, 32 for the CNN). */
export const RUNS: Run[] = [
  { name: 'MLP, SGD momentum 0.9', model: mlp(false), input: [128, 784], optimizer: sgd },
  { name: 'MLP, Adam', model: mlp(false), input: [128, 784], optimizer: adam },
  { name: 'MLP + BatchNorm1d, SGD momentum', model: mlp(true), input: [128, 784], optimizer: sgd },
  { name: 'MLP + BatchNorm1d, Adam', model: mlp(true), input: [128, 784], optimizer: adam },
  { name: 'CNN, SGD momentum 0.9', model: cnn, input: [32, 1, 28, 28], optimizer: sgd },
  { name: 'CNN, Adam', model: cnn, input: [32, 1, 28, 28], optimizer: adam },
];

/** Work per step after warm-up, plus the per-kernel breakdown of the last step. */
export interface StepCount {
  name: string;
  dispatches: number;
  submits: number;
  reads: number;
  uploads: number;
  copies: number;
  byKernel: Record<string, number>;
}

const diff = (a: WebGpuStats, b: WebGpuStats) => ({
  dispatches: b.dispatches - a.dispatches,
  submits: b.submits - a.submits,
  reads: b.reads - a.reads,
  uploads: b.uploads - a.uploads,
  copies: b.copies - a.copies,
});

/** Trains `run` for a few steps on webgpu and returns the work of one steady-state step. */
export async function countRun(run: Run, steps = 3, warmup = 2): Promise<StepCount> {
  await ready('webgpu');
  setBackend('webgpu');
  const backend = getBackend('webgpu') as WebGpuBackend;
  const model = run.model();
  model.train();
  const opt = run.optimizer(model.parameters());
  const x = keep(randn(run.input, { seed: 10 }));
  const y = keep(randint(0, 10, [run.input[0]], { seed: 11 }));
  const step = async () => {
    const loss = tidy(() => {
      opt.zeroGrad();
      const l = crossEntropy(model.call(x), y);
      l.backward();
      opt.step();
      return l.detach();
    });
    await loss.item();
    loss.dispose();
  };
  for (let i = 0; i < warmup; i++) await step();
  const before = backend.stats();
  for (let i = 0; i < steps - 1; i++) await step();
  backend.traceKernels(true);
  await step();
  const after = backend.stats();
  backend.traceKernels(false);
  const d = diff(before, after);
  opt.zeroGrad();
  if ('disposeState' in opt) opt.disposeState();
  model.dispose();
  x.dispose();
  y.dispose();
  const per = (v: number) => Math.round((v / steps) * 10) / 10;
  return {
    name: run.name,
    dispatches: per(d.dispatches),
    submits: per(d.submits),
    reads: per(d.reads),
    uploads: per(d.uploads),
    copies: per(d.copies),
    byKernel: { ...after.byKernel },
  };
}

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  const results: StepCount[] = [];
  for (const run of RUNS) results.push(await countRun(run));
  if (args.has('--json')) {
    console.log(JSON.stringify(results, null, 2));
    return;
  }
  console.log('| run | dispatches | submits | reads | uploads | copies |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.dispatches} | ${r.submits} | ${r.reads} | ${r.uploads} | ${r.copies} |`,
    );
  }
  if (args.has('--kernels')) {
    for (const r of results) {
      console.log(`\n${r.name}: dispatches per kernel (one step)`);
      const rows = Object.entries(r.byKernel).sort((a, b) => b[1] - a[1]);
      for (const [k, n] of rows) console.log(`  ${String(n).padStart(4)}  ${k}`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
