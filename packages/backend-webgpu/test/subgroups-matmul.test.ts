/**
 * The matmul kernels with and without the `subgroups` feature, on one
 * device: a second GpuContext whose features say "no subgroups" runs the
 * workgroup-memory fallbacks, so both paths are checked against the same
 * float64 reference (every transpose layout, odd sizes, broadcast batches).
 */
import type { MatmulParams } from '@nerve/core/backend';
import { describe, expect, it } from 'vitest';
import { GpuContext } from '../src/context.js';
import { createDevice, subgroupSizes } from '../src/device.js';
import { matmul } from '../src/kernels/matmul.js';
import { matmulSmall, type SmallForce, smallVariant } from '../src/kernels/matmul-small.js';
import { available, ctx, expectClose, randoms, read, upload } from './kernels-util.js';

const withSubgroups = available && ctx!.features.subgroups;
const noSubgroups = available
  ? new GpuContext(ctx!.device, ctx!.limits, { ...ctx!.features, subgroups: false })
  : null;

function refMatmul(a: Float32Array, b: Float32Array, p: MatmulParams): Float64Array {
  const { batch, m, n, k } = p;
  const c = new Float64Array(batch * m * n);
  for (let bi = 0; bi < batch; bi++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) {
          const av = a[bi * p.aBatchStride + (p.transA ? q * m + i : i * k + q)];
          const bv = b[bi * p.bBatchStride + (p.transB ? j * k + q : q * n + j)];
          s += av * bv;
        }
        c[(bi * m + i) * n + j] = s;
      }
    }
  }
  return c;
}

function params(
  batch: number,
  [m, k, n]: number[],
  transA: boolean,
  transB: boolean,
  bcastA = false,
  bcastB = false,
): MatmulParams {
  const aBatchStride = bcastA ? 0 : m * k;
  const bBatchStride = bcastB ? 0 : k * n;
  return { batch, m, k, n, transA, transB, aBatchStride, bBatchStride };
}

async function check(c: GpuContext, p: MatmulParams, seed: number, force?: SmallForce) {
  const a = randoms(p.aBatchStride === 0 ? p.m * p.k : p.batch * p.m * p.k, seed);
  const b = randoms(p.bBatchStride === 0 ? p.k * p.n : p.batch * p.k * p.n, seed + 1);
  const ga = upload(a, 'float32');
  const gb = upload(b, 'float32');
  const out = force ? matmulSmall(c, ga, gb, p, force) : matmul(c, ga, gb, p);
  const got = await read(out, c);
  ctx!.release(ga);
  ctx!.release(gb);
  expectClose(got, refMatmul(a, b, p), 1e-4, 4e-5 * (1 + Math.sqrt(p.k)));
}

const TF = [false, true];
const SHAPES = [
  [1, 1000, 130],
  [3, 333, 257],
  [130, 513, 1],
  [300, 64, 4],
  [1, 4097, 1],
  [2, 9, 2],
  [1, 7, 33],
  [7, 33, 65],
  [65, 130, 1],
];

describe.runIf(available)('webgpu matmul with and without subgroups', () => {
  it('the adapter description reports the subgroup sizes, and the option turns the feature off', async () => {
    const d = await createDevice({ subgroups: false });
    expect(d.features.subgroups).toBe(false);
    expect(d.adapter.features).not.toContain('subgroups');
    if (withSubgroups) {
      const on = await createDevice();
      expect(on.adapter.features).toContain('subgroups');
      expect(on.adapter.subgroupMinSize).toBeGreaterThanOrEqual(4);
      expect(on.adapter.subgroupMaxSize).toBeGreaterThanOrEqual(on.adapter.subgroupMinSize);
      on.device.destroy();
    }
    d.device.destroy();
  });

  for (const [mode, c] of [
    ['subgroups', withSubgroups ? ctx : null],
    ['fallback', noSubgroups],
  ] as const) {
    describe.runIf(c !== null)(mode, () => {
      it('every transpose layout, odd sizes, small and tiled paths', async () => {
        for (const transA of TF) {
          for (const transB of TF) {
            for (const s of SHAPES) await check(c!, params(2, s, transA, transB), s[0] + s[2]);
          }
        }
      });

      it('broadcast batches (stride 0) on the small-side path', async () => {
        for (const transA of TF) {
          for (const transB of TF) {
            for (const [ba, bb] of [
              [true, false],
              [false, true],
              [true, true],
            ]) {
              await check(c!, params(3, [2, 170, 65], transA, transB, ba, bb), 12);
              await check(c!, params(3, [65, 170, 3], transA, transB, ba, bb), 13);
            }
          }
        }
      });

      it('picks the kernel the mode asks for', () => {
        const kFast = params(1, [1, 64, 64], false, true);
        expect(smallVariant(c!, kFast)).toBe(mode === 'subgroups' ? 'subgroups' : 'workgroup');
        // K strided in the long operand: always the workgroup kernel.
        expect(smallVariant(c!, params(1, [1, 64, 64], false, false))).toBe('workgroup');
      });
    });
  }

  it('workgroup sizes that leave partial subgroups or fewer invocations than outputs', async () => {
    const { min } = subgroupSizes(ctx!.device);
    for (const c of [ctx!, noSubgroups!]) {
      // No multiple of the subgroup size (a partial subgroup), fewer
      // invocations than a column block's outputs, and the default.
      for (const wg of [min + min / 2, 3 * min - 1, 5, 128, 256]) {
        for (const transA of TF) {
          for (const transB of TF) {
            for (const s of [
              [1, 301, 77],
              [4, 1000, 9],
              [77, 129, 3],
            ]) {
              await check(c, params(2, s, transA, transB), s[1], { wg });
            }
          }
        }
      }
    }
  });
});
