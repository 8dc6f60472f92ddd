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
import { crossEntropy } from '@nerve/layers';
import { arg } from './bn-cnn.js';
import { benchMlp, timeSteps } from './bench-mlp.js';
import { setSgdMinSplit, setSgdPoolDisabled } from '../src/kernels/sgd-pool.js';

const threads = Number(arg('threads', '2'));
const blocks = Number(arg('blocks', '8'));
const perBlock = Number(arg('steps', '40'));
// --min-split N: B is the pooled update split only from N elements (instead of the JS loop).
const minSplit = process.argv.includes('--min-split') ? Number(arg('min-split', '0')) : -1;
await setThreads(threads);
await threadsReady();
await core.ready('cpu');
core.setBackend('cpu');
const { model, opt, x, y } = benchMlp(arg('workload', 'mlp'));
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
  const { wallMs, cpuMs } = timeSteps(perBlock, step);
  res[name].wall.push(wallMs);
  res[name].cpu.push(cpuMs);
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
