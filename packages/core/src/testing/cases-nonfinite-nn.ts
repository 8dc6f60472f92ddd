/**
 * NaN through the reductions and network ops (see cases-nonfinite.ts):
 * max/min/argmax/argmin, softmax and log-softmax, max pooling, matmul and
 * softmax cross-entropy, on the kernel and the fallback paths. PyTorch's
 * values on the same inputs are quoted where the reference is not obvious.
 */
import {
  adamUpdate,
  argmax,
  argmin,
  logSoftmax,
  matmul,
  max,
  maxPool2d,
  mean,
  min,
  softmax,
  sgdUpdate,
  softmaxCrossEntropy,
  sum,
} from '../index.js';
import { TOL, T, check, expectClose, run1, uniform } from './harness.js';
import { bothPaths, expectBoth } from './kernel-paths.js';
import { adamRef, crossEntropyRef, sgdRef } from './reference-optional-kernels.js';
import { type Window2d, matmulRef, pool2dRef, softmaxRef } from './reference-nn.js';
import { type HostArray, host, reduceRef } from './reference.js';

const nan = Number.NaN;

/** PyTorch's reductions: NaN is the extreme, and arg* point at the first NaN. */
const NAN_REDUCERS = {
  max: (v: number[]) => (v.some(Number.isNaN) ? nan : Math.max(...v)),
  min: (v: number[]) => (v.some(Number.isNaN) ? nan : Math.min(...v)),
  argmax: (v: number[]) => firstNaN(v) ?? v.indexOf(Math.max(...v)),
  argmin: (v: number[]) => firstNaN(v) ?? v.indexOf(Math.min(...v)),
};

function firstNaN(v: number[]): number | null {
  const i = v.findIndex(Number.isNaN);
  return i < 0 ? null : i;
}

/** Random values with NaN written at `at` (flat indices). */
function withNaN(shape: number[], seed: string, at: number[]): HostArray {
  const h = uniform(shape, -2, 2, seed);
  for (const i of at) h.data[i] = nan;
  return h;
}

export function registerNonFiniteNn(): void {
  check('max/min/argmax/argmin: NaN wins along every axis and over all', async () => {
    // torch.max([[1, nan, 3, nan], [4, 5, -1, 2]], 1) = values [nan, 5], indices [1, 1].
    const small = host([1, nan, 3, nan, 4, 5, -1, 2], [2, 4]);
    expectClose(await run1(() => argmax(T(small), 1)), host([1, 1], [2]), TOL.exact, 'argmax');
    expectClose(await run1(() => argmin(T(small), 1)), host([1, 2], [2]), TOL.exact, 'argmin');
    const x = withNaN([3, 5, 4], 'nan reduce', [0, 7, 13, 19, 33, 34, 59]);
    for (const [name, fn] of [
      ['max', max],
      ['min', min],
    ] as const) {
      for (const axis of [0, 1, 2]) {
        const want = reduceRef(x, axis, false, NAN_REDUCERS[name]);
        expectClose(await run1(() => fn(T(x), axis)), want, TOL.exact, `${name} axis ${axis}`);
      }
      const all = reduceRef(x, undefined, false, NAN_REDUCERS[name]);
      expectClose(await run1(() => fn(T(x))), all, TOL.exact, `${name} over all`);
    }
    for (const [name, fn] of [
      ['argmax', argmax],
      ['argmin', argmin],
    ] as const) {
      for (const axis of [0, 1, 2]) {
        const want = reduceRef(x, axis, false, NAN_REDUCERS[name]);
        expectClose(await run1(() => fn(T(x), axis)), want, TOL.exact, `${name} axis ${axis}`);
      }
    }
  });

  check('max along an axis sends the gradient to the first NaN (PyTorch)', async () => {
    const h = host([1, nan, 3, nan, 4, 5, -1, 2], [2, 4]);
    const x = T(h);
    x.requiresGrad = true;
    try {
      const g = await run1(() => {
        sum(max(x, 1)).backward();
        return x.grad!;
      });
      // torch: [[0, 1, 0, 0], [0, 1, 0, 0]].
      expectClose(g, host([0, 1, 0, 0, 0, 1, 0, 0], [2, 4]), TOL.exact, 'max gradient');
    } finally {
      x.dispose();
    }
  });

  check('sum and mean of a row with NaN are NaN, other rows are not', async () => {
    const x = withNaN([3, 6], 'nan sum', [8]);
    const s = reduceRef(x, 1, false, (v) => v.reduce((a, b) => a + b, 0));
    expectClose(await run1(() => sum(T(x), 1)), s, TOL.sums, 'sum');
    const m = reduceRef(x, 1, false, (v) => v.reduce((a, b) => a + b, 0) / v.length);
    expectClose(await run1(() => mean(T(x), 1)), m, TOL.sums, 'mean');
  });

  check('softmax and logSoftmax: a NaN turns its row into NaN, on both paths', async () => {
    const x = withNaN([4, 7], 'nan softmax', [3, 15, 16]);
    for (const log of [false, true]) {
      const fn = log ? logSoftmax : softmax;
      const want = softmaxRef(x, -1, log);
      expectBoth(await bothPaths(() => [fn(T(x), -1)]), [want], TOL.transcendental, fn.name);
      // Along axis 0 the NaN columns go NaN instead.
      const want0 = softmaxRef(x, 0, log);
      expectBoth(await bothPaths(() => [fn(T(x), 0)]), [want0], TOL.transcendental, fn.name);
    }
  });

  check('maxPool2d: a NaN in a window gives NaN, 2×2 and padded 3×3, both paths', async () => {
    // torch.nn.functional.max_pool2d of this plane with kernel 2 is [[nan, 8], [nan, nan]].
    const plane = [1, nan, 3, 4, 5, 6, 7, 8, nan, 1, 2, 3, 1, 2, nan, 0];
    const x = host([...plane, ...plane.map((v) => -v)], [1, 2, 4, 4]);
    const g2: Window2d = { stride: [2, 2], padding: [0, 0], dilation: [1, 1] };
    const want2 = pool2dRef('max', x, [2, 2], g2);
    expectBoth(await bothPaths(() => [maxPool2d(T(x), 2)]), [want2], TOL.exact, 'maxPool 2×2');
    const g3: Window2d = { stride: [1, 1], padding: [1, 1], dilation: [1, 1] };
    const want3 = pool2dRef('max', x, [3, 3], g3);
    expectBoth(
      await bothPaths(() => [maxPool2d(T(x), 3, { stride: 1, padding: 1 })]),
      [want3],
      TOL.exact,
      'maxPool 3×3 stride 1 pad 1',
    );
  });

  check('maxPool2d: the gradient of a window with one NaN goes to the NaN', async () => {
    // One NaN in each 2×2 window that has one, so the winner is unambiguous (PyTorch picks it too).
    const h = host([1, nan, 3, 4, 5, 6, 7, 8, nan, 1, 2, 3, 1, 2, nan, 0], [1, 1, 4, 4]);
    const x = T(h);
    x.requiresGrad = true;
    try {
      const g = await run1(() => {
        sum(maxPool2d(x, 2)).backward();
        return x.grad!;
      });
      // torch: [[0, 1, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 0, 1, 0]].
      const want = host([0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0], [1, 1, 4, 4]);
      expectClose(g, want, TOL.exact, 'maxPool2d gradient');
    } finally {
      x.dispose();
    }
  });

  check('matmul: a NaN poisons its output row and column only', async () => {
    for (const [m, k, n] of [
      [5, 7, 3],
      [70, 96, 66],
    ]) {
      const a = withNaN([m, k], `nan mm a ${m}`, [k + 2]);
      const b = withNaN([k, n], `nan mm b ${m}`, [3 * n + 1]);
      const want = matmulRef(a, b);
      expectClose(await run1(() => matmul(T(a), T(b))), want, TOL.sums, `matmul ${m}×${k}×${n}`);
    }
  });

  check(
    'sgdUpdate and adamUpdate (AMSGrad too) carry a NaN gradient or state, on both paths',
    async () => {
      const shape = [2, 3];
      const p = uniform(shape, -1, 1, 'nan opt p');
      const g = withNaN(shape, 'nan opt g', [1]);
      const m = uniform(shape, -0.5, 0.5, 'nan opt m');
      const v = uniform(shape, 0, 0.5, 'nan opt v');
      // torch.maximum keeps a NaN in the running maximum of AMSGrad.
      const vMax = withNaN(shape, 'nan opt vmax', [4]);
      const [sgdP, sgdB] = sgdRef(p, g, m, {
        lr: 0.1,
        momentum: 0.9,
        dampening: 0,
        weightDecay: 0,
        nesterov: false,
      });
      expectBoth(
        await bothPaths(() => {
          const r = sgdUpdate(T(p), T(g), T(m), { lr: 0.1, momentum: 0.9 });
          return [r.param, r.momentumBuffer!];
        }),
        [sgdP, sgdB],
        TOL.transcendental,
        'sgdUpdate with a NaN gradient',
      );
      for (const amsgrad of [false, true]) {
        const o = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
        const want = adamRef(p, g, m, v, amsgrad ? vMax : null, {
          ...o,
          decoupled: false,
          amsgrad,
          step: 3,
        });
        const f = () => {
          const r = adamUpdate(T(p), T(g), T(m), T(v), amsgrad ? T(vMax) : null, {
            lr: o.lr,
            betas: [o.beta1, o.beta2],
            eps: o.eps,
            amsgrad,
            step: 3,
          });
          const outs = [r.param, r.expAvg, r.expAvgSq];
          return r.maxExpAvgSq ? [...outs, r.maxExpAvgSq] : outs;
        };
        expectBoth(
          await bothPaths(f),
          amsgrad ? want : want.slice(0, 3),
          TOL.transcendental,
          `adamUpdate amsgrad ${amsgrad}`,
        );
      }
    },
  );

  check('softmaxCrossEntropy: one NaN logit makes the mean loss NaN, on both paths', async () => {
    // torch.nn.functional.cross_entropy([[nan, 1, 2], [1, 2, 3]], [0, 1]) is nan.
    const x = withNaN([4, 3], 'nan ce', [4]);
    const labels = [0, 1, 2, 1];
    for (const reduction of ['mean', 'none'] as const) {
      const want = crossEntropyRef(x, labels, 0, reduction);
      const y = host(labels, [4]);
      expectBoth(
        await bothPaths(() => [softmaxCrossEntropy(T(x), T(y, 'int32'), { reduction })]),
        [want],
        TOL.transcendental,
        `crossEntropy ${reduction}`,
      );
    }
  });
}
