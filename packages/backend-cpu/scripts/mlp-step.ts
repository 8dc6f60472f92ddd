/**
 * The bench MLP step (784-256-128-10, b128, SGD; bench/cpu/workloads.ts) alone, for
 * profiling and in-process A/B (issue 16, two threads):
 *   node --import tsx --conditions=@nerve/source packages/backend-cpu/scripts/mlp-step.ts [--threads 2] [--steps 200]
 * OPS=1: wall time per top-level backend call, the time spent inside the pool's run()
 * per wasm function, and which thread ran each pooled task.
 * --ab NAME: alternating blocks of the default against a variant (see VARIANTS), medians
 * of wall and process CPU per step.
 * Prints the parameters' FNV-1a hash after the steps (the same at 1, 2, 3 threads).
 */
import { execSync } from 'node:child_process';
import { setThreads, threadsReady } from '@nerve/backend-cpu';
import * as core from '@nerve/core';
import { crossEntropy } from '@nerve/layers';
import { arg } from './bn-cnn.js';
import { benchMlp, paramsHash, timeSteps } from './bench-mlp.js';
import { getWasmRuntime } from '../src/wasm/runtime.js';
import { setColTasksPerThread, setMinColMacsPerThread } from '../src/wasm/gemm-wasm.js';
import type { ThreadPool } from '../src/threads/thread-pool.js';

const threads = Number(arg('threads', '2'));
const steps = Number(arg('steps', '200'));
const blocks = Number(arg('blocks', '8'));
const perBlock = Number(arg('per-block', '40'));
setThreads(threads);
await threadsReady();
await core.ready('cpu');
core.setBackend('cpu');
const { model, opt, x, y } = benchMlp(arg('workload', 'mlp'));

// Variants for --ab: each entry switches the variant on (true) or back to the default (false).
const VARIANTS: Record<string, (on: boolean) => void> = {};
const pool = getWasmRuntime()?.runner as ThreadPool | undefined;
const baseSpin = pool?.setSpinMicros ? pool.setSpinMicros(50) : 50;
pool?.setSpinMicros?.(baseSpin);
// The pool before issue 16's adaptive spin: 50 µs, always.
VARIANTS.old50 = (on) => {
  pool?.setAdaptiveSpin(!on);
  pool?.setSpinMicros(on ? 50 : baseSpin);
  pool?.setWaitSpinMicros(on ? 50 : baseSpin);
};
VARIANTS.fixed = (on) => pool?.setAdaptiveSpin(!on);
VARIANTS.cols2m = (on) => setMinColMacsPerThread(on ? 2_000_000 : 4_000_000);
VARIANTS.cols2x = (on) => setColTasksPerThread(on ? 2 : 1);
VARIANTS.cols2m2x = (on) => {
  VARIANTS.cols2m(on);
  VARIANTS.cols2x(on);
};
VARIANTS.cols3x = (on) => setColTasksPerThread(on ? 3 : 1);
for (const us of [0, 20, 100, 200, 300, 500, 1000, 2000]) {
  VARIANTS[`spin${us}`] = (on) => {
    pool?.setSpinMicros(on ? us : baseSpin);
    pool?.setWaitSpinMicros(on ? us : baseSpin);
  };
  VARIANTS[`worker${us}`] = (on) => pool?.setSpinMicros(on ? us : baseSpin);
  VARIANTS[`caller${us}`] = (on) => pool?.setWaitSpinMicros(on ? us : baseSpin);
}

const mmTag = (p: Record<string, unknown>) =>
  `${p.m}x${p.k}·${p.k}x${p.n}${p.transA ? ' Aᵀ' : ''}${p.transB ? ' Bᵀ' : ''}`;
const timing = new Map<string, { ms: number; calls: number }>();
const poolTiming = new Map<
  string,
  { ms: number; calls: number; tasks: number; byWorker: number }
>();
if (process.env.OPS) {
  const proto = (await import('../src/cpu-backend.js')).CpuBackend.prototype as unknown as Record<
    string,
    unknown
  >;
  let depth = 0;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const f = proto[name];
    if (name === 'constructor' || typeof f !== 'function') continue;
    proto[name] = function (this: unknown, ...args: unknown[]) {
      if (depth > 0) return (f as (...a: unknown[]) => unknown).apply(this, args);
      depth++;
      const t = performance.now();
      try {
        return (f as (...a: unknown[]) => unknown).apply(this, args);
      } finally {
        depth--;
        const a0 = args[0] as { shape?: number[] } | string;
        const a1 = args[1] as { shape?: number[] };
        const tag =
          typeof a0 === 'string'
            ? `${name}:${a0} ${(a1?.shape ?? []).join('x')}`
            : `${name} ${((a0 as { shape?: number[] })?.shape ?? []).join('x')}${name === 'matmul' ? mmTag(args[2] as Record<string, unknown>) : ''}`;
        const e = timing.get(tag) ?? { ms: 0, calls: 0 };
        e.ms += performance.now() - t;
        e.calls++;
        timing.set(tag, e);
      }
    };
  }
  const rt = getWasmRuntime();
  const runner = rt?.runner as ThreadPool | undefined;
  if (runner) {
    const run = runner.run.bind(runner);
    runner.run = (fn, tasks) => {
      const t = performance.now();
      run(fn, tasks);
      const ms = performance.now() - t;
      const e = poolTiming.get(fn) ?? { ms: 0, calls: 0, tasks: 0, byWorker: 0 };
      e.ms += ms;
      e.calls++;
      e.tasks += tasks.length;
      if (tasks.length > 1 && runner.lastRunThreads) {
        for (const id of runner.lastRunThreads()) if (id !== 0) e.byWorker++;
      }
      poolTiming.set(fn, e);
    };
  }
}

let stepMs = { fwd: 0, bwd: 0, opt: 0, rest: 0 };
const step = () => {
  const t0 = performance.now();
  const loss = core.tidy(() => {
    const l = crossEntropy(model.call(x), y);
    const t1 = performance.now();
    l.backward();
    const t2 = performance.now();
    opt.step();
    const t3 = performance.now();
    opt.zeroGrad();
    stepMs.fwd += t1 - t0;
    stepMs.bwd += t2 - t1;
    stepMs.opt += t3 - t2;
    return l.detach();
  });
  const v = loss.dataSync()[0];
  loss.dispose();
  stepMs.rest += 0;
  return v;
};
for (let i = 0; i < 30; i++) step();
const uptime = () => execSync('uptime').toString().trim();
const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

const ab = arg('ab', '');
if (ab) {
  const set = VARIANTS[ab];
  if (!set) throw new Error(`--ab: one of ${Object.keys(VARIANTS).join(', ')}`);
  console.log(`${uptime()}; ${threads} thread(s), A/B default vs ${ab}`);
  const res: Record<string, { wall: number[]; cpu: number[] }> = {
    default: { wall: [], cpu: [] },
    [ab]: { wall: [], cpu: [] },
  };
  for (let b = 0; b < 2 * blocks; b++) {
    const name = b % 2 === 0 ? 'default' : ab;
    set(name === ab);
    for (let i = 0; i < 3; i++) step();
    const { wallMs, cpuMs } = timeSteps(perBlock, step);
    res[name].wall.push(wallMs);
    res[name].cpu.push(cpuMs);
  }
  set(false);
  for (const [name, r] of Object.entries(res)) {
    console.log(
      `${name.padEnd(10)} wall ${med(r.wall).toFixed(3)} ms (min ${Math.min(...r.wall).toFixed(3)}), CPU ${med(r.cpu).toFixed(3)} ms (min ${Math.min(...r.cpu).toFixed(3)})`,
    );
  }
  console.log(uptime());
  process.exit(0);
}

timing.clear();
poolTiming.clear();
stepMs = { fwd: 0, bwd: 0, opt: 0, rest: 0 };
console.log(uptime());
const { wallMs: ms, cpuMs: cpu, last } = timeSteps(steps, step);
const hash = paramsHash(model);
console.log(
  `threads ${threads}: ${ms.toFixed(3)} ms/step wall (${(1000 / ms).toFixed(1)} steps/s), ${cpu.toFixed(3)} ms/step process CPU, loss ${last}, params ${hash} (after ${steps + 30} steps)`,
);
console.log(
  `  forward ${(stepMs.fwd / steps).toFixed(3)}, backward ${(stepMs.bwd / steps).toFixed(3)}, opt.step ${(stepMs.opt / steps).toFixed(3)} ms/step`,
);
if (process.env.OPS) {
  let total = 0;
  for (const [k, e] of [...timing].sort((a, b) => b[1].ms - a[1].ms)) {
    total += e.ms;
    console.log(
      `${(e.ms / steps).toFixed(3).padStart(8)} ms/step ${String(e.calls / steps).padStart(4)} calls  ${k}`,
    );
  }
  console.log(`${(total / steps).toFixed(3).padStart(8)} ms/step in backend calls (top level)`);
  for (const [k, e] of [...poolTiming].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(
      `  pool ${k.padEnd(14)} ${(e.ms / steps).toFixed(3)} ms/step, ${e.calls / steps} runs, ${e.tasks / steps} tasks, ${e.byWorker / steps} by a worker`,
    );
  }
}
console.log(uptime());
process.exit(0);
