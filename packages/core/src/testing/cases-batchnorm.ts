/**
 * Batch normalization's optional-kernel ops: batchNormStats (mean and biased/unbiased
 * variance per channel) and batchNormTrain (normalize with the batch's own
 * statistics, gradients through them), kernel path vs fallback vs float64.
 */
import {
  type Tensor,
  add,
  batchNormStats,
  batchNormTrain,
  mul,
  sum,
  withoutOptionalKernels,
} from '../index.js';
import { bothPaths, expectBoth } from './kernel-paths.js';
import { TOL, T, check, expectClose, expectGrad, uniform } from './harness.js';
import { type HostArray, host, numel } from './reference.js';
import { batchNormStatsRef } from './reference-optional-kernels.js';

/** (x − μ)/√(σ² + eps)·w + b per channel, in float64. */
function batchNormRef(
  x: HostArray,
  w: HostArray | null,
  b: HostArray | null,
  eps: number,
): HostArray {
  const c = x.shape[1];
  const inner = numel(x.shape.slice(2));
  const [m, v] = batchNormStatsRef(x, 0);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const ch = Math.floor(i / inner) % c;
    const y = (x.data[i] - m.data[ch]) / Math.sqrt(v.data[ch] + eps);
    out[i] = y * (w ? w.data[ch] : 1) + (b ? b.data[ch] : 0);
  }
  return host(out, x.shape);
}

function registerBatchNormStats(): void {
  check(
    'batchNormStats: mean and biased/unbiased variance of [N,C], [N,C,L], [N,C,H,W]',
    async () => {
      for (const shape of [
        [6, 3],
        [4, 2, 5],
        [3, 4, 3, 2],
      ]) {
        const x = uniform(shape, -3, 3, `bn stats ${shape}`);
        for (const correction of [0, 1]) {
          const [m, v] = batchNormStatsRef(x, correction);
          const f = () => {
            const s = batchNormStats(T(x), { correction });
            return [s.mean, s.variance];
          };
          expectBoth(
            await bothPaths(f),
            [m, v],
            TOL.sums,
            `batchNormStats ${shape} c=${correction}`,
          );
        }
      }
    },
  );

  check('batchNormStats: gradients of the mean and the variance, both paths', async () => {
    const x = uniform([4, 3, 2], -2, 2, 'bn grad x');
    const a = uniform([3], -1, 1, 'bn grad a');
    const b = uniform([3], -1, 1, 'bn grad b');
    for (const correction of [0, 1]) {
      const fn = (t: Tensor) => {
        const s = batchNormStats(t, { correction });
        return add(sum(mul(s.mean, T(a))), sum(mul(s.variance, T(b))));
      };
      const g1 = await expectGrad(`batchNormStats c=${correction} (kernel)`, fn, [x]);
      const g2 = await expectGrad(
        `batchNormStats c=${correction} (fallback)`,
        (t) => withoutOptionalKernels(() => fn(t)),
        [x],
      );
      expectClose(
        { shape: x.shape, data: Float64Array.from(g2.analytic[0]!) },
        { shape: x.shape, data: Float64Array.from(g1.analytic[0]!) },
        { rtol: 1e-4, atol: 1e-5 },
        'batchNormStats gradient: fallback vs kernel',
      );
    }
  });
}

function registerBatchNormTrain(): void {
  const shapes = [
    [6, 3],
    [4, 2, 5],
    [3, 4, 3, 2],
  ];
  check('batchNormTrain: forward with and without affine parameters', async () => {
    for (const shape of shapes) {
      const c = shape[1];
      const x = uniform(shape, -3, 3, `bn x ${shape}`);
      const w = uniform([c], 0.5, 2, `bn w ${shape}`);
      const b = uniform([c], -1, 1, `bn b ${shape}`);
      for (const affine of [true, false]) {
        const f = () => {
          const r = batchNormTrain(T(x), affine ? T(w) : null, affine ? T(b) : null, 1e-5);
          return [r.y, r.mean, r.variance];
        };
        const [m, v] = batchNormStatsRef(x, 0);
        const want = batchNormRef(x, affine ? w : null, affine ? b : null, 1e-5);
        expectBoth(
          await bothPaths(f),
          [want, m, v],
          TOL.sums,
          `batchNormTrain ${shape} affine ${affine}`,
        );
      }
    }
  });

  check(
    'batchNormTrain: running averages updated in the same pass (momentum 0.1, 0.7)',
    async () => {
      const shape = [5, 3, 4];
      const x = uniform(shape, -3, 3, 'bn run x');
      const rm = uniform([3], -1, 1, 'bn run mean');
      const rv = uniform([3], 0.5, 2, 'bn run var');
      const [m, v] = batchNormStatsRef(x, 0);
      const count = 5 * 4;
      for (const momentum of [0.1, 0.7]) {
        const wantMean = host(
          rm.data.map((r, c) => r * (1 - momentum) + m.data[c] * momentum),
          [3],
        );
        const wantVar = host(
          rv.data.map(
            (r, c) => r * (1 - momentum) + ((v.data[c] * count) / (count - 1)) * momentum,
          ),
          [3],
        );
        const f = () => {
          const r = batchNormTrain(T(x), null, null, 1e-5, {
            mean: T(rm),
            variance: T(rv),
            momentum,
          });
          return [r.runningMean!, r.runningVariance!];
        };
        expectBoth(
          await bothPaths(f),
          [wantMean, wantVar],
          TOL.sums,
          `running stats m=${momentum}`,
        );
      }
    },
  );

  check('batchNormTrain: gradients of x, weight and bias, both paths', async () => {
    for (const shape of [
      [5, 3],
      [3, 2, 4],
    ]) {
      const c = shape[1];
      const x = uniform(shape, -2, 2, `bn g x ${shape}`);
      const w = uniform([c], 0.5, 2, `bn g w ${shape}`);
      const b = uniform([c], -1, 1, `bn g b ${shape}`);
      const fn = (xt: Tensor, wt: Tensor, bt: Tensor) => batchNormTrain(xt, wt, bt, 1e-5).y;
      const g1 = await expectGrad(`batchNormTrain ${shape} (kernel)`, fn, [x, w, b]);
      const g2 = await expectGrad(
        `batchNormTrain ${shape} (fallback)`,
        (...t) => withoutOptionalKernels(() => fn(t[0], t[1], t[2])),
        [x, w, b],
      );
      g1.analytic.forEach((a, i) => {
        const other = g2.analytic[i];
        if (!a || !other) return;
        expectClose(
          { shape: [a.length], data: Float64Array.from(other) },
          { shape: [a.length], data: Float64Array.from(a) },
          { rtol: 1e-3, atol: 1e-4 },
          `batchNormTrain ${shape}: gradient of input ${i}, fallback vs kernel`,
        );
      });
      const noAffine = (xt: Tensor) => batchNormTrain(xt, null, null, 1e-5).y;
      await expectGrad(`batchNormTrain ${shape} without affine (kernel)`, noAffine, [x]);
    }
  });
}

/** Registers the batch-norm cases. */
export function registerBatchNorm(): void {
  registerBatchNormStats();
  registerBatchNormTrain();
}
