/**
 * Issue 16: the fused SGD update on wasm-heap tensors runs as wasm SIMD tasks
 * of the worker pool (kernels/sgd-pool.ts) and gives the JS loop's bits
 * (optim-kernels.test.ts checks that loop against core's fallback) for every
 * variant, with NaN, ±∞, huge, subnormal and −0 values, at 1, 2 and 3
 * threads; a large parameter is split into several tasks.
 */
import { getThreads, setThreads, threadsReady } from '@nerve/backend-cpu';
import type { SgdUpdateParams } from '@nerve/core/backend';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { allocF32 } from '../src/alloc.js';
import { wasmHeap } from '../src/heap.js';
import { sgdUpdate } from '../src/kernels/optim.js';
import { SGD_MIN_SPLIT, setSgdPoolDisabled, sgdPoolRuns } from '../src/kernels/sgd-pool.js';
import { getWasmRuntime } from '../src/wasm/runtime.js';
import { randomF32 } from './helpers.js';

const defaultThreads = getThreads();
// 2^19 + 3 elements: from SGD_MIN_SPLIT (2^19), so it is split into tasks on two or more
// threads, and odd, so the last task has a scalar tail.
const N = SGD_MIN_SPLIT + 3;
const SPECIALS = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -1e30,
  3e38,
  1e-40,
  -0,
  0,
];

function data(seed: number): Float32Array {
  const out = randomF32(N, seed, -1, 1);
  for (let k = 0; k < SPECIALS.length; k++) out[(seed * 7 + k * 9973) % N] = SPECIALS[k];
  return out;
}

function onHeap(x: Float32Array): Float32Array {
  const h = allocF32(x.length, true);
  h.set(x);
  return h;
}

const bits = (v: Float32Array) => new Uint32Array(v.buffer, v.byteOffset, v.length);

function expectBits(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length).toBe(expected.length);
  const a = bits(actual);
  const e = bits(expected);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) {
      throw new Error(
        `${what} element ${i}: pooled 0x${a[i].toString(16)}, JS loop 0x${e[i].toString(16)}`,
      );
    }
  }
}

const CASES: [string, Partial<SgdUpdateParams>][] = [
  ['plain', { lr: 0.1 }],
  ['weight decay', { lr: 0.7, weightDecay: 0.3 }],
  ['momentum', { lr: 0.01, momentum: 0.9 }],
  ['momentum + dampening', { lr: 0.01, momentum: 0.9, dampening: 0.1 }],
  ['nesterov', { lr: 0.3, momentum: 0.85, nesterov: true }],
  ['nesterov + weight decay', { lr: 0.01, momentum: 0.85, nesterov: true, weightDecay: 5e-4 }],
  ['odd scalars', { lr: 0.7654321, momentum: 0.3333333, dampening: 0.7, weightDecay: 0.1 }],
];

function params(o: Partial<SgdUpdateParams>): SgdUpdateParams {
  return {
    size: N,
    lr: o.lr ?? 0.1,
    momentum: o.momentum ?? 0,
    dampening: o.dampening ?? 0,
    weightDecay: o.weightDecay ?? 0,
    nesterov: o.nesterov ?? false,
  };
}

describe.skipIf(wasmHeap() === undefined || getWasmRuntime() === undefined)(
  'pooled SGD update on heap tensors',
  () => {
    afterAll(() => setThreads(defaultThreads));

    for (const threads of [1, 2, 3]) {
      for (const [name, o] of CASES) {
        it(`matches the JS loop bit for bit over 3 steps: ${name}, ${threads} thread(s)`, async () => {
          setThreads(threads);
          await threadsReady();
          const rt = getWasmRuntime();
          expect(rt?.runner.threads).toBe(threads);
          const p = params(o);
          let pooled: { param: Float32Array; buf: Float32Array | null } = {
            param: onHeap(data(1)),
            buf: null,
          };
          let js: { param: Float32Array; buf: Float32Array | null } = {
            param: pooled.param.slice(),
            buf: null,
          };
          for (let step = 0; step < 3; step++) {
            const g = onHeap(data(10 + step));
            const spy = vi.spyOn(rt!.runner, 'run');
            const runs = sgdPoolRuns();
            const a = sgdUpdate(pooled.param, g, pooled.buf, p);
            const calls = spy.mock.calls.map(([fn, tasks]) => [fn, tasks.length]);
            spy.mockRestore();
            expect(sgdPoolRuns() - runs).toBe(1);
            // One run; several tasks when more than one thread shares it (pool-tasks.ts ranges).
            expect(calls).toHaveLength(1);
            expect(calls[0][0]).toMatch(/^sgd/);
            expect(calls[0][1]).toBe(threads > 1 ? 2 * threads : 1);
            const was = setSgdPoolDisabled(true);
            const b = sgdUpdate(js.param, g, js.buf, p);
            setSgdPoolDisabled(was);
            expectBits(a.param, b.param, 'param');
            if (b.momentumBuffer === null) expect(a.momentumBuffer).toBeNull();
            else expectBits(a.momentumBuffer as Float32Array, b.momentumBuffer, 'momentum buffer');
            pooled = { param: a.param, buf: a.momentumBuffer };
            js = { param: b.param, buf: b.momentumBuffer };
          }
        });
      }
    }

    it('runs an update under SGD_MIN_SPLIT as one task on the caller, even on 3 threads', async () => {
      setThreads(3);
      await threadsReady();
      const rt = getWasmRuntime();
      const n = SGD_MIN_SPLIT - 1;
      const p = onHeap(randomF32(n, 3));
      const g = onHeap(randomF32(n, 4));
      const spy = vi.spyOn(rt!.runner, 'run');
      const a = sgdUpdate(p, g, null, { ...params({ lr: 0.5 }), size: n });
      const calls = spy.mock.calls.map(([fn, tasks]) => [fn, tasks.length]);
      spy.mockRestore();
      expect(calls).toEqual([['sgd', 1]]);
      const was = setSgdPoolDisabled(true);
      const b = sgdUpdate(p, g, null, { ...params({ lr: 0.5 }), size: n });
      setSgdPoolDisabled(was);
      expectBits(a.param, b.param, 'param');
    });

    it('leaves plain (non-heap) arrays to the JS loop', () => {
      const runs = sgdPoolRuns();
      const p = new Float32Array(N).fill(1);
      const g = new Float32Array(N).fill(2);
      const r = sgdUpdate(p, g, null, params({ lr: 0.25 }));
      expect(sgdPoolRuns()).toBe(runs);
      expect(r.param[0]).toBe(0.5);
      expect(r.param[N - 1]).toBe(0.5);
    });
  },
);
