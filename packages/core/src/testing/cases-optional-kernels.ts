/**
 * The optional-kernel ops of issue 5: softmaxCrossEntropy, sgdUpdate and
 * adamUpdate (batch norm: cases-batchnorm.ts). Each runs on the backend's kernel path and inside
 * withoutOptionalKernels (core's composition); both must match the float64
 * reference and each other, and the differentiable ones their finite
 * differences.
 */
import { expect } from 'vitest';
import {
  type Tensor,
  adamUpdate,
  mul,
  sgdUpdate,
  softmaxCrossEntropy,
  sum,
  tidy,
  withoutOptionalKernels,
} from '../index.js';
import { TOL, T, check, expectClose, expectGrad, integers, uniform } from './harness.js';
import { bothPaths, expectBoth } from './kernel-paths.js';
import { registerBatchNorm } from './cases-batchnorm.js';
import {
  adamRef,
  crossEntropyGradRef,
  crossEntropyRef,
  sgdRef,
} from './reference-optional-kernels.js';

const REDUCTIONS = ['mean', 'sum', 'none'] as const;

function registerCrossEntropy(): void {
  check('softmaxCrossEntropy: forward for every reduction and label smoothing', async () => {
    for (const [n, c] of [
      [5, 4],
      [3, 40],
      [1, 1],
    ]) {
      const x = uniform([n, c], -4, 4, `ce x ${n}x${c}`);
      const y = Array.from(integers([n], 0, c, `ce y ${n}x${c}`).data);
      for (const reduction of REDUCTIONS) {
        for (const eps of [0, 0.1]) {
          const f = () => [
            softmaxCrossEntropy(T(x), T({ shape: [n], data: Float64Array.from(y) }, 'int32'), {
              labelSmoothing: eps,
              reduction,
            }),
          ];
          expectBoth(
            await bothPaths(f),
            [crossEntropyRef(x, y, eps, reduction)],
            TOL.transcendental,
            `softmaxCrossEntropy ${n}x${c} ${reduction} ε=${eps}`,
          );
        }
      }
    }
  });

  check('softmaxCrossEntropy: stable for logits around ±1000 and with −∞ entries', async () => {
    const x = { shape: [2, 3], data: Float64Array.from([1000, 999, -1000, -3, 0, -1e30]) };
    const y = [1, 0];
    const labels = T({ shape: [2], data: Float64Array.from(y) }, 'int32');
    try {
      const [f, b] = await bothPaths(() => [
        softmaxCrossEntropy(T(x), labels, { reduction: 'none' }),
      ]);
      const want = crossEntropyRef(x, y, 0, 'none');
      expectClose(f[0], want, TOL.transcendental, 'large logits (kernel path)');
      expectClose(b[0], want, TOL.transcendental, 'large logits (fallback path)');
    } finally {
      labels.dispose();
    }
  });

  check('softmaxCrossEntropy: gradient (analytic and finite differences), both paths', async () => {
    const [n, c] = [4, 5];
    const x = uniform([n, c], -2, 2, 'ce grad x');
    const y = Array.from(integers([n], 0, c, 'ce grad y').data);
    const yh = { shape: [n], data: Float64Array.from(y) };
    for (const reduction of REDUCTIONS) {
      for (const eps of [0, 0.2]) {
        const w = uniform([n], -1, 1, `ce grad w ${reduction}`);
        // 'none' is weighted per row so each row's upstream gradient differs.
        const loss = (t: Tensor, labels: Tensor) => {
          const l = softmaxCrossEntropy(t, labels, { labelSmoothing: eps, reduction });
          return reduction === 'none' ? sum(mul(l, T(w))) : l;
        };
        const label = `softmaxCrossEntropy ${reduction} ε=${eps}`;
        const inputs = [x, { h: yh, dtype: 'int32' as const }];
        const g1 = await expectGrad(`${label} (kernel)`, loss, inputs);
        const g2 = await expectGrad(
          `${label} (fallback)`,
          (...t) => withoutOptionalKernels(() => loss(t[0], t[1])),
          inputs,
        );
        expectClose(
          { shape: [n, c], data: Float64Array.from(g2.analytic[0]!) },
          { shape: [n, c], data: Float64Array.from(g1.analytic[0]!) },
          { rtol: 1e-4, atol: 1e-5 },
          `${label}: gradient, fallback vs kernel`,
        );
        // loss.backward() itself against the closed form (softmax − q)·dy.
        const want = crossEntropyGradRef(x, y, eps, reduction);
        if (reduction === 'none') {
          for (let i = 0; i < n * c; i++) want.data[i] *= w.data[Math.floor(i / c)];
        }
        for (const fallback of [false, true]) {
          const leaf = T(x);
          const labels = T(yh, 'int32');
          leaf.requiresGrad = true;
          try {
            const step = () => tidy(() => loss(leaf, labels).backward());
            if (fallback) withoutOptionalKernels(step);
            else step();
            const got = { shape: [n, c], data: Float64Array.from(await leaf.grad!.data()) };
            expectClose(
              got,
              want,
              TOL.transcendental,
              `${label}: backward() (fallback ${fallback})`,
            );
          } finally {
            leaf.dispose();
            labels.dispose();
          }
        }
      }
    }
  });
}

const SGD_CASES = [
  { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false },
  { lr: 0.05, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false },
  { lr: 0.05, momentum: 0.9, dampening: 0, weightDecay: 0.01, nesterov: true },
  { lr: 0.2, momentum: 0.5, dampening: 0.3, weightDecay: 0.1, nesterov: false },
];

function registerOptimizerUpdates(): void {
  check(
    'sgdUpdate: plain, momentum (first and later steps), Nesterov, dampening, decay',
    async () => {
      const shape = [3, 7];
      const p = uniform(shape, -1, 1, 'sgd p');
      const g = uniform(shape, -1, 1, 'sgd g');
      const buf = uniform(shape, -1, 1, 'sgd buf');
      for (const o of SGD_CASES) {
        for (const first of o.momentum !== 0 ? [true, false] : [true]) {
          const f = () => {
            const r = sgdUpdate(T(p), T(g), first ? null : T(buf), o);
            return r.momentumBuffer ? [r.param, r.momentumBuffer] : [r.param];
          };
          const [wantP, wantB] = sgdRef(p, g, first ? null : buf, o);
          const out = await bothPaths(f);
          expect(out[0].length, 'sgdUpdate outputs').toBe(o.momentum !== 0 ? 2 : 1);
          expectBoth(
            out,
            [wantP, wantB],
            TOL.tight,
            `sgdUpdate ${JSON.stringify(o)} first=${first}`,
          );
        }
      }
    },
  );

  check('adamUpdate: Adam, L2 decay, AdamW, AMSGrad over several steps', async () => {
    const shape = [5, 3];
    const p = uniform(shape, -1, 1, 'adam p');
    const g = uniform(shape, -1, 1, 'adam g');
    const m = uniform(shape, -0.5, 0.5, 'adam m');
    const v = uniform(shape, 0, 0.5, 'adam v');
    const vMax = uniform(shape, 0, 0.5, 'adam vmax');
    for (const o of [
      { weightDecay: 0, decoupled: false, amsgrad: false, step: 1 },
      { weightDecay: 0.1, decoupled: false, amsgrad: false, step: 3 },
      { weightDecay: 0.01, decoupled: true, amsgrad: false, step: 10 },
      { weightDecay: 0.01, decoupled: true, amsgrad: true, step: 2 },
      { weightDecay: 0.1, decoupled: false, amsgrad: true, step: 7 },
    ]) {
      const opts = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, ...o };
      const f = () => {
        const r = adamUpdate(T(p), T(g), T(m), T(v), o.amsgrad ? T(vMax) : null, {
          lr: opts.lr,
          betas: [opts.beta1, opts.beta2],
          eps: opts.eps,
          weightDecay: o.weightDecay,
          decoupledWeightDecay: o.decoupled,
          amsgrad: o.amsgrad,
          step: o.step,
        });
        const outs = [r.param, r.expAvg, r.expAvgSq];
        return r.maxExpAvgSq ? [...outs, r.maxExpAvgSq] : outs;
      };
      const want = adamRef(p, g, m, v, o.amsgrad ? vMax : null, opts);
      const out = await bothPaths(f);
      expect(out[0].length, 'adamUpdate outputs').toBe(o.amsgrad ? 4 : 3);
      expectBoth(
        out,
        o.amsgrad ? want : want.slice(0, 3),
        TOL.transcendental,
        `adamUpdate ${JSON.stringify(o)}`,
      );
    }
  });

  check('sgdUpdate and adamUpdate reject mismatched shapes before running', async () => {
    const p = T(uniform([2, 2], -1, 1, 'bad p'));
    const g = T(uniform([4], -1, 1, 'bad g'));
    try {
      expect(() => sgdUpdate(p, g, null, { lr: 0.1 })).toThrow(/sgdUpdate/);
      expect(() =>
        adamUpdate(p, g, p, p, null, { lr: 0.1, betas: [0.9, 0.99], eps: 1e-8, step: 1 }),
      ).toThrow(/adamUpdate/);
    } finally {
      p.dispose();
      g.dispose();
    }
  });
}

/** Registers the optional-kernel cases (kernel path vs fallback vs float64 reference). */
export function registerOptionalKernels(): void {
  registerCrossEntropy();
  registerBatchNorm();
  registerOptimizerUpdates();
}
