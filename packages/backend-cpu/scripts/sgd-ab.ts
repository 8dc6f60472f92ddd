/**
 * A/B in one process: the bench MLP step (784-256-128-10, b128, SGD) with the
 * SGD update as pooled wasm SIMD tasks (kernels/sgd-pool.ts) or the JS loop
 * on the calling thread, in alternating blocks; prints the median per-step
 * wall time, process CPU time and the time of opt.step() alone, per variant.
 *   node --import tsx --conditions=@nerve/source packages/backend-cpu/scripts/sgd-ab.ts [--threads 2] [--blocks 8] [--steps 40] [--min-split N]
 * With --min-split N the variants are the pooled update split from 2^16 elements ('pooled')
 * and from N elements ('js' in the output).
 */
import { execSync } from 'node:child_process';
import { setThreads, threadsReady } from '@nerve/backend-cpu';
import * as core from '@nerve/core';
import { Linear, ReLU, Sequential, crossEntropy } from '@nerve/layers';
import { SGD } from '@nerve/optim';
import {
  type TrainWorkload,
  WORKLOADS,
  labels,
  mlpWidths,
  paramValues,
  sizeOf,
  uniform,
} from '../../../bench/cpu/workloads.js';
import { setSgdMinSplit, setSgdPoolDisabled } from '../src/kernels/sgd-pool.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const threads = Number(arg('threads', '2'));
const blocks = Number(arg('blocks', '8'));
const perBlock = Number(arg('steps', '40'));
// --min-split N: B is the pooled update split only from N elements (instead of the JS loop).
const minSplit = process.argv.includes('--min-split') ? Number(arg('min-split', '0')) : -1;
await setThreads(threads);
await threadsReady();
await core.ready('cpu');
core.setBackend('cpu');
const w = WORKLOADS.find((x) => x.name === arg('workload', 'mlp')) as TrainWorkload;
const widths = mlpWidths(w);
const model = new Sequential(
  ...widths
    .slice(1)
    .flatMap((out, i) =>
      i < widths.length - 2
        ? [new Linear(widths[i], out), new ReLU()]
        : [new Linear(widths[i], out)],
    ),
);
const names = model.namedParameters().map(([n]) => n);
core.tidy(() => {
  model.loadStateDict(
    Object.fromEntries(
      names.map((n, i) => [n, core.tensor(paramValues(w.params[i]), { shape: w.params[i].shape })]),
    ),
  );
});
const opt = new SGD(model.parameters(), { lr: w.lr });
const x = core.keep(
  core.tensor(uniform(sizeOf(w.inputShape), w.inputSeed), { shape: w.inputShape }),
);
const y = core.keep(core.tensor(labels(w.inputShape[0], w.labelSeed, w.classes)));
let optMs = 0;
const step = () => {
  const loss = core.tidy(() => {
    const l = crossEntropy(model.call(x), y);
    l.backward();
    const t = performance.now();
    opt.step();
    optMs += performance.now() - t;
    opt.zeroGrad();
    return l.detach();
  });
  loss.dataSync();
  loss.dispose();
};
for (let i = 0; i < 30; i++) step();
const res: Record<string, { wall: number[]; cpu: number[]; opt: number[] }> = {
  pooled: { wall: [], cpu: [], opt: [] },
  js: { wall: [], cpu: [], opt: [] },
};
console.log(`${execSync('uptime').toString().trim()}; ${threads} thread(s)`);
for (let b = 0; b < 2 * blocks; b++) {
  const name = b % 2 === 0 ? 'pooled' : 'js';
  if (minSplit >= 0) setSgdMinSplit(name === 'js' ? minSplit : 1 << 16);
  else setSgdPoolDisabled(name === 'js');
  optMs = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < perBlock; i++) step();
  const c = process.cpuUsage(c0);
  res[name].wall.push((performance.now() - t0) / perBlock);
  res[name].cpu.push((c.user + c.system) / 1000 / perBlock);
  res[name].opt.push(optMs / perBlock);
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
for (const [name, r] of Object.entries(res)) {
  console.log(
    `${name.padEnd(6)} wall ${med(r.wall).toFixed(3)} ms (min ${Math.min(...r.wall).toFixed(3)}), CPU ${med(r.cpu).toFixed(3)} ms, opt.step ${med(r.opt).toFixed(3)} ms (min ${Math.min(...r.opt).toFixed(3)})`,
  );
}
console.log(execSync('uptime').toString().trim());
process.exit(0);
