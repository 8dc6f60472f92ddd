/**
 * The GEMM in every kernel mode this runtime supports, against a float64
 * reference written out from the definition (no code shared with the kernels).
 */
import { NerveError } from '@nerve/core/backend';
import { afterEach, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu-backend.js';
import { type GemmArgs, gemm, GemmScratch, WASM_MIN } from '../src/kernels/gemm-blocked.js';
import type { WasmTaskRunner } from '../src/wasm/runner.js';
import {
  getKernelMode,
  getWasmRuntime,
  type KernelMode,
  setKernelMode,
  setRunnerFactory,
  supportedKernelModes,
} from '../src/wasm/runtime.js';
import { expectClose, expectSame, randomF32 } from './helpers.js';
import {
  COLS_MAX_ROWS,
  MIN_POOL_MACS,
  setMinColMacsPerThread,
  setMinMacsPerThread,
  setMinPoolMacs,
} from '../src/wasm/gemm-wasm.js';
import { wasmHeap } from '../src/heap.js';

// Every product goes to the pool here, however small: these tests are about
// splitting, which production does only above a work threshold.
setMinMacsPerThread(0);
setMinPoolMacs(0);

const MODES = supportedKernelModes();

interface Case {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
}

/** C = op(A)·op(B) (+ C0) in float64, with Σ|a·b| per element as the error scale. */
function reference(c: Case, a: Float32Array, b: Float32Array, c0?: Float32Array) {
  const { m, n, k, transA, transB } = c;
  const out = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = c0 ? c0[i * n + j] : 0;
      let abs = Math.abs(s);
      for (let p = 0; p < k; p++) {
        const x = a[transA ? p * m + i : i * k + p] * b[transB ? j * k + p : p * n + j];
        s += x;
        abs += Math.abs(x);
      }
      out[i * n + j] = s;
      scale[i * n + j] = abs;
    }
  }
  return { out, scale };
}

function run(c: Case, seed: number, accumulate = false, pad = 0): Float32Array {
  const a = randomF32(c.m * c.k + pad, seed);
  const b = randomF32(c.k * c.n + pad, seed + 1);
  const cOut = randomF32(c.m * c.n + 2 * pad, seed + 2);
  const c0 = cOut.slice(pad, pad + c.m * c.n);
  const g: GemmArgs = { ...c, a, aOff: pad, b, bOff: pad, c: cOut, cOff: pad, accumulate };
  const before = cOut.slice();
  gemm(g, new GemmScratch());
  const { out, scale } = reference(
    c,
    a.subarray(pad),
    b.subarray(pad),
    accumulate ? c0 : undefined,
  );
  const got = cOut.subarray(pad, pad + c.m * c.n);
  // float32 accumulation: the error is a small multiple of eps·Σ|a·b|.
  expectClose(got, out, 1e-6, 1e-7, `${JSON.stringify(c)} acc=${accumulate}`, scale);
  // Nothing outside C is touched.
  expectSame(cOut.subarray(0, pad), before.subarray(0, pad), 'before C');
  expectSame(cOut.subarray(pad + c.m * c.n), before.subarray(pad + c.m * c.n), 'after C');
  return got.slice();
}

const LAYOUTS: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

// Odd sizes around the register tiles (5×8, 6×8), the 64-row task blocks and
// the 256-deep k blocks, plus degenerate ones.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 17],
  [5, 3, 63],
  [17, 17, 17],
  [63, 65, 129],
  [65, 63, 1],
  [129, 5, 65],
  [2, 129, 300],
  [7, 9, 513],
  [70, 33, 257],
  [1, 200, 200],
  [200, 1, 200],
  [40, 40, 0],
];

afterEach(() => {
  setRunnerFactory(undefined);
  setKernelMode('auto');
});

describe('kernel mode', () => {
  it('auto picks the fastest mode this runtime has; scalar is always there', () => {
    expect(MODES).toContain('scalar');
    setKernelMode('auto');
    expect(getKernelMode()).toBe(MODES[0]);
    for (const mode of MODES) {
      setKernelMode(mode);
      expect(getKernelMode()).toBe(mode);
      expect(getWasmRuntime()?.mode).toBe(mode === 'scalar' ? undefined : mode);
    }
  });

  it('rejects an unknown mode with a NerveError naming the op, expected and received', () => {
    setKernelMode('scalar');
    const bad = () => setKernelMode('avx512' as KernelMode);
    expect(bad).toThrow(NerveError);
    expect(bad).toThrow(
      /setKernelMode: expected one of auto, relaxed, simd, scalar, received "avx512"/,
    );
    expect(getKernelMode()).toBe('scalar'); // unchanged
  });
});

for (const mode of MODES) {
  describe(`gemm in ${mode} mode`, () => {
    for (const [transA, transB] of LAYOUTS) {
      it(`matches float64, transA=${transA} transB=${transB}, odd sizes`, () => {
        setKernelMode(mode);
        SHAPES.forEach(([m, n, k], i) => {
          run({ m, n, k, transA, transB }, 10 * i, false);
          run({ m, n, k, transA, transB }, 10 * i + 3, true, 7);
        });
      });
    }

    it('batched matmul with strides, gaps and broadcast (stride 0)', () => {
      setKernelMode(mode);
      const be = new CpuBackend();
      for (const [transA, transB] of LAYOUTS) {
        for (const [aS, bS] of [
          [0, 1],
          [1, 0],
          [0, 0],
          [1.5, 1.25],
        ]) {
          const [batch, m, k, n] = [3, 33, 70, 18];
          const p = {
            batch,
            m,
            k,
            n,
            transA,
            transB,
            aBatchStride: Math.floor(aS * m * k),
            bBatchStride: Math.floor(bS * k * n),
          };
          const a = randomF32((batch - 1) * p.aBatchStride + m * k, 1);
          const b = randomF32((batch - 1) * p.bBatchStride + k * n, 2);
          const got = be.readSync(
            be.matmul(be.upload(a, 'float32'), be.upload(b, 'float32'), p),
            'float32',
            batch * m * n,
          );
          for (let t = 0; t < batch; t++) {
            const at = a.subarray(t * p.aBatchStride, t * p.aBatchStride + m * k);
            const bt = b.subarray(t * p.bBatchStride, t * p.bBatchStride + k * n);
            const { out, scale } = reference({ m, n, k, transA, transB }, at, bt);
            const gt = got.subarray(t * m * n, (t + 1) * m * n);
            expectClose(gt, out, 1e-6, 1e-7, `batch ${t} ${JSON.stringify(p)}`, scale);
          }
        }
      }
    });

    it('stays correct on both sides of the wasm switch point', () => {
      setKernelMode(mode);
      for (const [m, n, k] of [
        [16, 16, 16],
        [16, 16, 17],
        [8, 8, WASM_MIN / 64 - 1],
        [8, 8, WASM_MIN / 64],
        [2, 2, WASM_MIN / 4 + 1],
      ]) {
        for (const [transA, transB] of LAYOUTS) run({ m, n, k, transA, transB }, m + n + k, true);
      }
    });
  });
}

const SIMD_MODES = MODES.filter((m) => m !== 'scalar');

/** Runs the tasks in reverse on this thread while claiming `threads` threads: other splits, other order. */
function fakePool(threads: number): (parts: { instance: WebAssembly.Instance }) => WasmTaskRunner {
  return ({ instance }) => ({
    threads,
    run(fn, tasks) {
      const f = instance.exports[fn] as (...a: number[]) => void;
      for (let t = tasks.length - 1; t >= 0; t--) f(...tasks[t]);
    },
  });
}

/** Byte ranges a task may write, from its arguments (see gemm-codegen.ts). */
function allowedWrites(fn: string, t: readonly number[], mr: number): [number, number][] {
  const up = (x: number, to: number) => Math.ceil(x / to) * to;
  if (fn === 'packB') {
    const [, , , k, kb, , nPad, j0, j1, dst] = t;
    const out: [number, number][] = [];
    for (let pc = 0; pc < k; pc += kb) {
      const kc = Math.min(kb, k - pc);
      out.push([dst + 4 * (pc * nPad + j0 * kc), dst + 4 * (pc * nPad + j1 * kc)]);
    }
    return out;
  }
  const [, , , , nPad, k, kb, c, i0, i1, j0, j1, , scratch] = t;
  const out: [number, number][] = [[scratch, scratch + 4 * up(i1 - i0, mr) * Math.min(k, kb)]];
  for (let i = i0; i < up(i1, mr); i++)
    out.push([c + 4 * (i * nPad + j0), c + 4 * (i * nPad + j1)]);
  return out;
}

describe.runIf(SIMD_MODES.length > 0)('wasm runtime', () => {
  for (const mode of SIMD_MODES) {
    it(`gives bit-identical results for 1 task and many (${mode})`, () => {
      setKernelMode(mode);
      // The last two are short enough that many threads also split C's columns.
      const shapes: [number, number, number][] = [
        [200, 150, 300],
        [37, 300, 41],
        [5, 200, 50],
      ];
      for (const [m, n, k] of shapes) {
        for (const [transA, transB] of LAYOUTS) {
          const c: Case = { m, n, k, transA, transB };
          setRunnerFactory(undefined);
          const one = run(c, 5, true);
          for (const threads of [3, 7, 64]) {
            setRunnerFactory(fakePool(threads));
            expectSame(run(c, 5, true), one, `${threads} threads ${JSON.stringify(c)}`);
          }
        }
      }
    });

    it(`splits short products by columns in one hand-off, bit-identically (${mode})`, () => {
      setKernelMode(mode);
      // Production's thresholds for the row split, none for the column split: every short
      // product below takes gemmCols (one run per product) on a pool of 2 or 3 threads.
      const oldRows = setMinMacsPerThread(1e12);
      const oldCols = setMinColMacsPerThread(0);
      try {
        const shapes: [number, number, number][] = [
          [128, 256, 784], // the MLP b128's first layer
          [37, 300, 41],
          [COLS_MAX_ROWS, 24, 70],
        ];
        for (const [m, n, k] of shapes) {
          for (const [transA, transB] of LAYOUTS) {
            const c: Case = { m, n, k, transA, transB };
            setRunnerFactory(undefined);
            const one = run(c, 7, true);
            for (const threads of [2, 3]) {
              const calls: string[] = [];
              setRunnerFactory((parts) => {
                const inner = fakePool(threads)(parts);
                return {
                  threads,
                  run(fn, tasks) {
                    calls.push(`${fn}×${tasks.length}`);
                    inner.run(fn, tasks);
                  },
                };
              });
              expectSame(run(c, 7, true), one, `${threads} threads ${JSON.stringify(c)}`);
              expect(calls).toEqual([`gemmCols×${threads}`]);
            }
          }
        }
      } finally {
        setMinMacsPerThread(oldRows);
        setMinColMacsPerThread(oldCols);
      }
    });

    it(`keeps products under MIN_POOL_MACS off the pool: one call on the caller (${mode})`, () => {
      setKernelMode(mode);
      // Every split threshold at 0 (the file's setting and the column split's), so only the
      // pool threshold can keep a product local. Shapes: the digits MLP's weight gradient
      // (128×32·32×64, two 66-row blocks), a 4-row-block product just under the threshold,
      // and one just over it, which must still reach the pool.
      const oldPool = setMinPoolMacs(MIN_POOL_MACS);
      const oldCols = setMinColMacsPerThread(0);
      try {
        const shapes: [number, number, number, boolean][] = [
          [128, 64, 32, true],
          [200, 150, 66, true], // 1.98 M
          [128, 128, 128, false], // 2.1 M
        ];
        for (const [m, n, k, local] of shapes) {
          expect(m * n * k < MIN_POOL_MACS).toBe(local);
          for (const [transA, transB] of LAYOUTS) {
            const c: Case = { m, n, k, transA, transB };
            setRunnerFactory(undefined);
            const one = run(c, 11, true);
            const calls: string[] = [];
            setRunnerFactory((parts) => {
              const inner = fakePool(2)(parts);
              return {
                threads: 2,
                run(fn, tasks) {
                  calls.push(`${fn}×${tasks.length}`);
                  inner.run(fn, tasks);
                },
              };
            });
            expectSame(run(c, 11, true), one, `2 threads ${JSON.stringify(c)}`);
            if (local) expect(calls).toEqual(['gemmCols×1']);
            else expect(calls.some((x) => !x.endsWith('×1'))).toBe(true);
          }
        }
      } finally {
        setMinPoolMacs(oldPool);
        setMinColMacsPerThread(oldCols);
      }
    });

    it(`grows its memory mid-session and stays correct (${mode})`, () => {
      setKernelMode(mode);
      const rt = getWasmRuntime()!;
      const small = { m: 20, n: 30, k: 40, transA: false, transB: true };
      const first = run(small, 9);
      const before = rt.memory.buffer.byteLength;
      // The memory is the wasm heap (tensors live there), already grown by
      // earlier tests: a block as large as all of it forces a growth.
      const heap = wasmHeap();
      const block = heap?.allocF32(before / 4);
      run({ m: 300, n: 500, k: 700, transA: true, transB: false }, 11); // ~3.6 MB of operands
      expect(rt.memory.buffer.byteLength).toBeGreaterThan(before);
      if (block) heap?.freeF32(block);
      expect(getWasmRuntime()).toBe(rt);
      expectSame(run(small, 9), first, 'same call after growth');
    });
  }

  for (const mode of SIMD_MODES) {
    it(`tasks write only their own rows of C, panels of B and scratch (${mode})`, () => {
      setKernelMode(mode);
      let checked = 0;
      setRunnerFactory(({ instance, memory, tile }) => ({
        threads: 4,
        run(fn, tasks) {
          const f = instance.exports[fn] as (...a: number[]) => void;
          for (const t of tasks) {
            // The memory is the wasm heap, tens of MB by now: compared a word
            // at a time, up to the heap's top (no block, so no address a task
            // is given, lies above it).
            const span = (wasmHeap()?.layout().top ?? memory.buffer.byteLength) >> 2;
            const before = new Int32Array(memory.buffer, 0, span).slice();
            f(...t);
            const after = new Int32Array(memory.buffer, 0, span);
            const allowed = allowedWrites(fn, t, tile.mr);
            const afterBytes = new Uint8Array(after.buffer, 0, 4 * span);
            const beforeBytes = new Uint8Array(before.buffer);
            for (let w = 0; w < after.length; w++) {
              if (after[w] === before[w]) continue;
              for (let i = 4 * w; i < 4 * w + 4; i++) {
                const changed = afterBytes[i] !== beforeBytes[i];
                if (changed && !allowed.some(([lo, hi]) => i >= lo && i < hi)) {
                  expect.fail(`${fn}(${t.join(', ')}) wrote byte ${i}, outside its regions`);
                }
              }
            }
            checked++;
          }
        },
      }));
      // m, n off the tiles; both contiguous and gathered packing; partial panels.
      for (const [transA, transB] of LAYOUTS) run({ m: 27, n: 21, k: 300, transA, transB }, 3);
      expect(checked).toBeGreaterThan(8);
      // Each task copies and compares the whole heap (reads of shared memory are
      // slow in V8): 30-45 s on a quiet 2-core machine, 86 s seen at load 15.
    }, 300_000);
  }

  it('plugs in a runner factory and rebuilds on a mode change', () => {
    const made: string[] = [];
    setRunnerFactory((parts) => {
      made.push(parts.mode);
      return fakePool(2)(parts);
    });
    for (const mode of SIMD_MODES) {
      setKernelMode(mode);
      run({ m: 40, n: 40, k: 40, transA: false, transB: false }, 1);
    }
    expect(made).toEqual(SIMD_MODES);
  });
});
