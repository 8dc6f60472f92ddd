/**
 * Per-op timings of the elementwise kernels on a [784, 256] float32 tensor,
 * through core ops (median ms of many calls; the machine is noisy).
 *   node --import tsx --conditions=@nerve/source packages/backend-cpu/scripts/ew-bench.ts
 * SRC=<dir> benchmarks the CpuBackend of another copy of src/ (e.g. the
 * previous kernels, for before/after); POOL=1 wires free() to the pool.
 */
import '@nerve/backend-cpu';
import {
  add,
  contiguousCopy,
  exp,
  getBackend,
  gt,
  mul,
  randn,
  relu,
  setBackend,
  sigmoid,
  sub,
  sum,
  tanh,
  tidy,
  transpose,
  where,
} from '@nerve/core';
import { registerBackend, type TypedArray } from '@nerve/core/backend';
import { execSync } from 'node:child_process';
import { recycle } from '../src/alloc.js';

console.log(execSync('uptime').toString().trim());
const src = process.env.SRC ?? '../src';
const { CpuBackend } = (await import(
  `${src}/cpu-backend.ts`
)) as typeof import('../src/cpu-backend.js');
registerBackend('bench', () => new CpuBackend(), 0);
setBackend('bench');
console.log(`kernels from ${src}`);
// POOL=1 wires free() to the buffer pool the way cpu-backend.ts will.
if (process.env.POOL === '1') {
  const be = getBackend() as unknown as { free(id: object): void };
  const free = be.free.bind(be);
  be.free = (id) => {
    const d = id as { values?: TypedArray; freed?: boolean };
    const v = d.values;
    const live = v !== undefined && !d.freed;
    free(id);
    if (live) recycle(v);
  };
  console.log('pool: on');
}
const a = randn([784, 256]);
const b = randn([784, 256]);
const bias = randn([256]);

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  return s[s.length >> 1];
}

function time(name: string, f: () => unknown, reps = 60): void {
  const ms: number[] = [];
  for (let i = 0; i < 10; i++) tidy(() => void f());
  for (let i = 0; i < reps; i++) {
    tidy(() => {
      const t0 = performance.now();
      f();
      ms.push(performance.now() - t0);
    });
  }
  const m = median(ms);
  console.log(`${name.padEnd(28)} ${m.toFixed(3)} ms  ${((m * 1e6) / a.size).toFixed(2)} ns/elem`);
}

time('new Float32Array(200704)', () => void new Float32Array(200704));
time('add', () => add(a, b));
time('sub', () => sub(a, b));
time('mul', () => mul(a, b));
time('mul scalar', () => mul(a, 0.5));
time('add bias row', () => add(a, bias));
time('contiguousCopy(a + 0)', () => contiguousCopy(add(a, 0)));
time('contiguousCopy(transpose)', () => contiguousCopy(transpose(a)));
time('relu', () => relu(a));
time('exp', () => exp(a));
time('tanh', () => tanh(a));
time('sigmoid', () => sigmoid(a));
time('gt(a,0)', () => gt(a, 0));
time('where(gt(a,0),b,0)', () => where(gt(a, 0), b, 0));
time('sum axis 0', () => sum(a, 0));
