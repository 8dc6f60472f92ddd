/**
 * MLP 784-256-128-10 training steps per second (batch 128, SGD lr 0.01) on
 * the CPU backend, one thread. POOL=1 wires free() to the buffer pool and
 * FUSED=1 adds the fused sgdUpdate, the way cpu-backend.ts will.
 *   POOL=1 FUSED=1 node --import tsx --conditions=@nerve/source packages/backend-cpu/scripts/ew-mlp.ts
 */
import '@nerve/backend-cpu';
import { getBackend, randn, setBackend, tensor, tidy } from '@nerve/core';
import { type MatmulParams, registerBackend, type TypedArray } from '@nerve/core/backend';
import { crossEntropy, Linear, ReLU, Sequential } from '@nerve/layers';
import { SGD } from '@nerve/optim';
import { execSync } from 'node:child_process';
import { allocF32, bufferPool, recycle } from '../src/alloc.js';
import { gemm, type GemmScratch } from '../src/kernels/gemm-blocked.js';
import { sgdUpdate } from '../src/kernels/optim.js';
import { setThreads } from '../src/threads/config.js';

interface Patchable {
  free(id: object): void;
  own(v: TypedArray): object;
  sgdUpdate?: unknown;
  matmul(a: object, b: object, p: MatmulParams): object;
  gemmScratch: GemmScratch;
}

console.log(execSync('uptime').toString().trim());
// SRC=<dir>: the CpuBackend of another copy of src/ (the previous kernels, for before/after).
if (process.env.SRC !== undefined) {
  const { CpuBackend } = (await import(
    `${process.env.SRC}/cpu-backend.ts`
  )) as typeof import('../src/cpu-backend.js');
  registerBackend('bench', () => new CpuBackend(), 0);
  setBackend('bench');
}
const be = getBackend() as unknown as Patchable;
if (process.env.POOL === '1') {
  const free = be.free.bind(be);
  be.free = (id) => {
    const d = id as { values?: TypedArray; freed?: boolean };
    const v = d.values;
    const live = v !== undefined && !d.freed;
    free(id);
    if (live) recycle(v);
  };
}
if (process.env.FUSED === '1') {
  const f32 = (id: object) => (id as { values: Float32Array }).values;
  be.sgdUpdate = (
    p: object,
    g: object,
    b: object | null,
    params: Parameters<typeof sgdUpdate>[3],
  ) => {
    const r = sgdUpdate(f32(p), f32(g), b === null ? null : f32(b), params);
    return {
      param: be.own(r.param),
      momentumBuffer: r.momentumBuffer === null ? null : be.own(r.momentumBuffer),
    };
  };
}
// MATMUL_POOL=1: matmul.ts's output from the pool too (single matrices only).
if (process.env.MATMUL_POOL === '1') {
  const matmul = be.matmul.bind(be);
  const f32 = (id: object) => (id as { values: Float32Array }).values;
  be.matmul = (a, b, p) => {
    if (p.batch !== 1) return matmul(a, b, p);
    const c = allocF32(p.m * p.n, true);
    const { m, n, k, transA, transB } = p;
    const args = { m, n, k, a: f32(a), aOff: 0, transA, b: f32(b), bOff: 0, transB };
    gemm({ ...args, c, cOff: 0, accumulate: false }, be.gemmScratch);
    return be.own(c);
  };
}
setThreads(Number(process.env.THREADS ?? 1));
// TIMING=1: time spent in each backend method, per step.
const spent = new Map<string, number>();
const calls = new Map<string, number>();
if (process.env.TIMING === '1') {
  const target = be as unknown as Record<string, unknown>;
  const proto = Object.getPrototypeOf(be) as Record<string, unknown>;
  for (const name of new Set([...Object.getOwnPropertyNames(proto), ...Object.keys(target)])) {
    const f = target[name];
    if (typeof f !== 'function' || name === 'constructor' || name === 'own') continue;
    const bound = (f as (...a: unknown[]) => unknown).bind(be);
    target[name] = (...a: unknown[]) => {
      const t0 = performance.now();
      const r = bound(...a);
      const key = name === 'binary' || name === 'unary' ? `${name} ${a[0]}` : name;
      spent.set(key, (spent.get(key) ?? 0) + performance.now() - t0);
      calls.set(key, (calls.get(key) ?? 0) + 1);
      return r;
    };
  }
}
const env = ['SRC', 'POOL', 'FUSED', 'MATMUL_POOL', 'THREADS'].map(
  (k) => `${k}=${process.env[k] ?? '-'}`,
);
console.log(env.join(' '));

const model = new Sequential(
  new Linear(784, 256),
  new ReLU(),
  new Linear(256, 128),
  new ReLU(),
  new Linear(128, 10),
);
const opt = new SGD(model.parameters(), { lr: 0.01 });
const x = randn([128, 784]);
const y = tensor(
  Int32Array.from({ length: 128 }, (_, i) => i % 10),
  { dtype: 'int32' },
);
const step = () =>
  tidy(() => {
    opt.zeroGrad();
    const l = crossEntropy(model.forward(x), y);
    l.backward();
    opt.step();
    return l.dataSync()[0];
  });

let loss = 0;
for (let i = 0; i < 30; i++) loss = step();
const before = { hits: bufferPool.hits, misses: bufferPool.misses };
spent.clear();
calls.clear();
const times: number[] = [];
// Process CPU time too: on a shared machine it counts only the time we ran.
const cpu: number[] = [];
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
for (let r = 0; r < 7; r++) {
  const t0 = performance.now();
  const c0 = cpuMs();
  for (let i = 0; i < 30; i++) loss = step();
  times.push((performance.now() - t0) / 30);
  cpu.push((cpuMs() - c0) / 30);
}
times.sort((a, b) => a - b);
cpu.sort((a, b) => a - b);
const steps = 30 * 7;
const misses = bufferPool.misses - before.misses;
console.log(
  `pool: ${(bufferPool.hits - before.hits) / steps} hits, ${misses / steps} misses per step`,
);
const rows = [...spent].sort((p, q) => q[1] - p[1]);
for (const [k, t] of rows) {
  const c = (calls.get(k) ?? 0) / steps;
  console.log(`  ${k.padEnd(22)} ${(t / steps).toFixed(3)} ms/step in ${c} calls`);
}
const ms = times[3];
console.log(
  `wall median ${ms.toFixed(2)} ms/step = ${(1000 / ms).toFixed(0)} steps/s (best ${(1000 / times[0]).toFixed(0)}); ` +
    `cpu median ${cpu[3].toFixed(2)} ms/step = ${(1000 / cpu[3]).toFixed(0)} steps/s; loss ${loss.toFixed(4)}`,
);
