/**
 * The digits MLP step of `pnpm bench:cpu` (workload `digits`) alone, for
 * profiling (`node --cpu-prof`) and for before/after bit-identity checks:
 *   node --import tsx --conditions=@nerve/source bench/cpu/small-step.ts [--steps 2000] [--threads 1] [--workload digits]
 *   [--optimizer adam|adamw|momentum|sgd] [--js-adam] [--js-sgd] [--no-col-split] [--pool-macs N]
 * prints ms per step and a checksum of every parameter's float32 bits after the steps.
 */
import { createHash } from 'node:crypto';
import { setThreads, threadsReady } from '@nerve/backend-cpu';
import * as core from '@nerve/core';
import * as layers from '@nerve/layers';
import { Adam, AdamW, SGD } from '@nerve/optim';
import { setAdamWasmDisabled } from '../../packages/backend-cpu/src/kernels/optim-wasm.js';
import { setSgdPoolDisabled } from '../../packages/backend-cpu/src/kernels/sgd-pool.js';
import {
  setMinColMacsPerThread,
  setMinPoolMacs,
} from '../../packages/backend-cpu/src/wasm/gemm-wasm.js';
import { bufferPool } from '../../packages/backend-cpu/src/alloc.js';
import { workloadModel } from './nerve-cells.js';
import { getWasmRuntime } from '../../packages/backend-cpu/src/wasm/runtime.js';
import { type TrainWorkload, WORKLOADS, labels, sizeOf, uniform } from './workloads.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const steps = Number(arg('steps', '2000'));
// --js-adam: the JS Adam loop instead of the wasm SIMD one (a before/after in one process).
if (process.argv.includes('--js-adam')) setAdamWasmDisabled(true);
// --js-sgd: the JS SGD loop on the calling thread instead of the pooled wasm SIMD one.
if (process.argv.includes('--js-sgd')) setSgdPoolDisabled(true);
// --no-col-split: short products never take the one-hand-off column split (the row split only).
if (process.argv.includes('--no-col-split')) setMinColMacsPerThread(Number.MAX_SAFE_INTEGER);
// --pool-macs N: products under N multiply-adds stay off the worker pool (0: the old behaviour).
if (process.argv.includes('--pool-macs')) setMinPoolMacs(Number(arg('pool-macs', '0')));
const optName = arg('optimizer', '');
const w = WORKLOADS.find((x) => x.name === arg('workload', 'digits')) as TrainWorkload;
await setThreads(Number(arg('threads', '1')));
await threadsReady();
await core.ready('cpu');
core.setBackend('cpu');

const model = workloadModel(core, layers, w);
const kind = optName || w.optimizer || 'sgd';
const opt =
  kind === 'adam'
    ? new Adam(model.parameters(), { lr: w.lr })
    : kind === 'adamw'
      ? new AdamW(model.parameters(), { lr: w.lr, weightDecay: 0.01 })
      : kind === 'momentum'
        ? new SGD(model.parameters(), { lr: w.lr, momentum: 0.9, weightDecay: 1e-4 })
        : new SGD(model.parameters(), { lr: w.lr });
const x = core.keep(
  core.tensor(uniform(sizeOf(w.inputShape), w.inputSeed), { shape: w.inputShape }),
);
const y = core.keep(core.tensor(labels(w.inputShape[0], w.labelSeed, w.classes)));
let last = 0;
const step = () => {
  const loss = core.tidy(() => {
    const l = layers.crossEntropy(model.call(x), y);
    l.backward();
    opt.step();
    opt.zeroGrad();
    return l.detach();
  });
  last = loss.dataSync()[0];
  loss.dispose();
};
for (let i = 0; i < 50; i++) step();
// --count-runs: buffers allocated in one step, and how many pool runs of more than one task (hand-offs to workers) one step makes.
if (process.argv.includes('--count-runs')) {
  const runner = getWasmRuntime()?.runner;
  if (runner) {
    const counts = new Map<string, number>();
    const run = runner.run.bind(runner);
    runner.run = (fn, tasks) => {
      if (tasks.length > 1) counts.set(fn, (counts.get(fn) ?? 0) + 1);
      run(fn, tasks);
    };
    const a0 = bufferPool.hits + bufferPool.misses;
    step();
    console.log(`buffers allocated in one step: ${bufferPool.hits + bufferPool.misses - a0}`);
    runner.run = run;
    console.log(`pool runs of >1 task in one step: ${JSON.stringify(Object.fromEntries(counts))}`);
  }
}
const t0 = performance.now();
const c0 = process.cpuUsage();
for (let i = 50; i < steps; i++) step();
const ms = (performance.now() - t0) / (steps - 50);
// CPU time (user + system) of this process: on a loaded machine it tracks the work done far
// better than wall time (with --threads 1 there are no workers, so it is the main thread's).
const c = process.cpuUsage(c0);
const cpuMs = (c.user + c.system) / 1000 / (steps - 50);
const hash = createHash('sha256');
for (const p of model.parameters()) hash.update(new Uint8Array(p.dataSync().slice().buffer));
console.log(
  `${w.name} ${kind}: ${ms.toFixed(3)} ms/step wall, ${cpuMs.toFixed(3)} ms CPU (${(1000 / ms).toFixed(0)} steps/s), loss ${last}, params sha256 ${hash.digest('hex').slice(0, 16)}`,
);
process.exit(0);
