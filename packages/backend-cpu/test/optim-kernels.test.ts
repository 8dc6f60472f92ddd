/**
 * The fused optimizer kernels against core's fallback composition
 * (ops/optim-update.ts run inside withoutOptionalKernels): bit for bit, over
 * several steps, with NaN, infinities, huge and subnormal values mixed in.
 */
import '@nerve/backend-cpu';
import {
  type AdamUpdateOptions,
  adamUpdate as adamFallback,
  noGrad,
  type SgdUpdateOptions,
  sgdUpdate as sgdFallback,
  type Tensor,
  tensor,
  withoutOptionalKernels,
} from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { adamUpdate, sgdUpdate } from '../src/kernels/optim.js';
import { adamHeapRuns, adamWasmAvailable, setAdamWasmDisabled } from '../src/kernels/optim-wasm.js';
import { allocF32 } from '../src/alloc.js';
import { wasmHeap } from '../src/heap.js';
import { rng } from './helpers.js';

const N = 257;
const SPECIALS = [Number.NaN, Number.POSITIVE_INFINITY, -1e30, 3e38, 1e-40, -0, 0];

function data(seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(N);
  for (let i = 0; i < N; i++) out[i] = (r() * 2 - 1) * scale;
  for (let k = 0; k < SPECIALS.length; k++) out[(seed * 7 + k * 31) % N] = SPECIALS[k];
  return out;
}

function t(v: Float32Array): Tensor {
  return tensor(v);
}

async function values(x: Tensor): Promise<Float32Array> {
  return (await x.data()) as Float32Array;
}

/** Bitwise equality, NaN payloads included. */
function expectBits(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) {
      throw new Error(
        `element ${i}: fused ${actual[i]} (0x${a[i].toString(16)}), fallback ${expected[i]} (0x${e[i].toString(16)})`,
      );
    }
  }
}

const SGD_CASES: [string, SgdUpdateOptions][] = [
  ['plain', { lr: 0.1 }],
  // A large lr keeps lr·d comparable to p, so a missed rounding inside d shows in p.
  ['weight decay', { lr: 0.7, weightDecay: 0.3 }],
  ['momentum', { lr: 0.01, momentum: 0.9 }],
  ['momentum + dampening', { lr: 0.01, momentum: 0.9, dampening: 0.1 }],
  ['nesterov + weight decay', { lr: 0.01, momentum: 0.85, nesterov: true, weightDecay: 5e-4 }],
  ['odd scalars', { lr: 0.7654321, momentum: 0.3333333, dampening: 0.7, weightDecay: 0.1 }],
];

describe('fused sgdUpdate', () => {
  for (const [name, opts] of SGD_CASES) {
    it(`matches the fallback bit for bit: ${name}`, async () => {
      let p = data(1);
      let buf: Float32Array | null = null;
      for (let step = 0; step < 4; step++) {
        const g = data(10 + step);
        const size = N;
        const fused = sgdUpdate(p, g, buf, {
          size,
          lr: opts.lr,
          momentum: opts.momentum ?? 0,
          dampening: opts.dampening ?? 0,
          weightDecay: opts.weightDecay ?? 0,
          nesterov: opts.nesterov ?? false,
        });
        const ref = noGrad(() =>
          withoutOptionalKernels(() => sgdFallback(t(p), t(g), buf === null ? null : t(buf), opts)),
        );
        expectBits(fused.param, await values(ref.param));
        if (ref.momentumBuffer === null) {
          expect(fused.momentumBuffer).toBeNull();
        } else {
          expect(fused.momentumBuffer).not.toBeNull();
          expectBits(fused.momentumBuffer as Float32Array, await values(ref.momentumBuffer));
        }
        p = fused.param;
        buf = fused.momentumBuffer;
      }
    });
  }

  it('reads only the first `size` elements', () => {
    const p = new Float32Array([1, 2, 99]);
    const g = new Float32Array([1, 1, 99]);
    const r = sgdUpdate(p, g, null, {
      size: 2,
      lr: 0.5,
      momentum: 0,
      dampening: 0,
      weightDecay: 0,
      nesterov: false,
    });
    expect(Array.from(r.param)).toEqual([0.5, 1.5]);
  });
});

const ADAM_CASES: [string, Omit<AdamUpdateOptions, 'step'>][] = [
  ['adam', { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8 }],
  ['adam + L2', { lr: 1e-2, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.01 }],
  [
    'adamW',
    { lr: 3e-3, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1, decoupledWeightDecay: true },
  ],
  ['amsgrad', { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, amsgrad: true }],
  [
    'adamW + amsgrad',
    {
      lr: 0.0123,
      betas: [0.77, 0.9],
      eps: 1e-3,
      weightDecay: 0.3,
      decoupledWeightDecay: true,
      amsgrad: true,
    },
  ],
];

// N = 257 runs the wasm SIMD loop (64 vectors and a 1-element tail) where SIMD exists, and
// the JS loop with the wasm path turned off: both must match the fallback bit for bit.
// 'on heap tensors': every operand a wasm-heap block, as in training (the in-place path).
describe.each([
  ['wasm SIMD', false, false],
  ['wasm SIMD on heap tensors', false, true],
  ['JS loop', true, false],
])('fused adamUpdate (%s)', (_path, jsOnly, onHeap) => {
  const place = (x: Float32Array): Float32Array => {
    if (!onHeap) return x;
    const h = allocF32(x.length, true);
    h.set(x);
    return h;
  };
  it('runs the path it names', () => {
    const was = setAdamWasmDisabled(jsOnly);
    try {
      // Node 20 has WebAssembly SIMD, so the wasm row must not silently test the JS loop.
      expect(adamWasmAvailable()).toBe(!jsOnly);
    } finally {
      setAdamWasmDisabled(was);
    }
  });
  for (const [name, opts] of ADAM_CASES) {
    it(`matches the fallback bit for bit over several steps: ${name}`, async () => {
      const was = setAdamWasmDisabled(jsOnly);
      let p = place(data(2, 2));
      let m: Float32Array = place(new Float32Array(N));
      let v: Float32Array = place(new Float32Array(N));
      let vMax: Float32Array | null = opts.amsgrad ? place(new Float32Array(N)) : null;
      const heapRunsBefore = adamHeapRuns();
      for (let step = 1; step <= 5; step++) {
        const g = place(data(20 + step, step === 3 ? 1e4 : 1));
        const fused = adamUpdate(p, g, m, v, vMax, {
          size: N,
          lr: opts.lr,
          beta1: opts.betas[0],
          beta2: opts.betas[1],
          eps: opts.eps,
          weightDecay: opts.weightDecay ?? 0,
          decoupledWeightDecay: opts.decoupledWeightDecay ?? false,
          amsgrad: opts.amsgrad ?? false,
          step,
        });
        const ref = noGrad(() =>
          withoutOptionalKernels(() =>
            adamFallback(t(p), t(g), t(m), t(v), vMax === null ? null : t(vMax), {
              ...opts,
              step,
            }),
          ),
        );
        expectBits(fused.param, await values(ref.param));
        expectBits(fused.expAvg, await values(ref.expAvg));
        expectBits(fused.expAvgSq, await values(ref.expAvgSq));
        if (ref.maxExpAvgSq === null) {
          expect(fused.maxExpAvgSq).toBeNull();
        } else {
          expectBits(fused.maxExpAvgSq as Float32Array, await values(ref.maxExpAvgSq));
        }
        p = fused.param;
        m = fused.expAvg;
        v = fused.expAvgSq;
        vMax = fused.maxExpAvgSq;
      }
      // The in-place path runs exactly for heap operands without AMSGrad, where a heap exists.
      const heapPath = onHeap && !opts.amsgrad && wasmHeap() !== undefined;
      expect(adamHeapRuns() - heapRunsBefore).toBe(heapPath ? 5 : 0);
      setAdamWasmDisabled(was);
    });
  }
});
