/**
 * Every optional-kernel fallback path: conv2d, maxPool2d, avgPool2d, softmax and
 * logSoftmax run normally and inside withoutOptionalKernels; both must match the
 * float64 reference, each other, and finite differences. Max-pooling ties must
 * route the gradient identically (to the first maximum) on both paths.
 */
import {
  type Tensor,
  logSoftmax,
  mul,
  softmax,
  sum,
  tidy,
  withoutOptionalKernels,
} from '../index.js';
import {
  type GradInput,
  TOL,
  type Tol,
  T,
  check,
  choice,
  expectAgree,
  expectClose,
  expectGrad,
  run1,
  uniform,
} from './harness.js';
import type { HostArray } from './reference.js';
import { maxPool2dGradRef, softmaxRef } from './reference-nn.js';
import {
  type ConvCase,
  POOL_CASES,
  cc,
  convData,
  convFn,
  convRef,
  geom,
  poolData,
  poolFn,
  poolRef,
  two,
} from './cases-conv.js';

interface FallbackCase {
  readonly name: string;
  readonly fn: (...xs: Tensor[]) => Tensor;
  readonly inputs: readonly HostArray[];
  readonly ref: HostArray;
  readonly tol: Tol;
}

function fallbackCases(): FallbackCase[] {
  const out: FallbackCase[] = [];
  const convs: ConvCase[] = [
    cc('conv2d stride 2, padding 1, bias', [2, 2, 5, 5], [3, 2, 3, 3], {
      stride: 2,
      padding: 1,
      bias: true,
    }),
    cc('conv2d dilation 2, non-square kernel, stride [1,2]', [1, 2, 6, 6], [2, 2, 2, 3], {
      dilation: 2,
      stride: [1, 2],
    }),
  ];
  for (const c of convs) {
    const inputs = convData(c, `fb ${c.name}`);
    out.push({ name: c.name, fn: convFn(c), inputs, ref: convRef(c, inputs), tol: TOL.sums });
  }
  for (const c of [POOL_CASES[1], POOL_CASES[3], POOL_CASES[6], POOL_CASES[7]]) {
    const x = poolData(c, `fb ${c.kind} ${c.name}`);
    out.push({
      name: `${c.kind}Pool2d ${c.name}`,
      fn: poolFn(c),
      inputs: [x],
      ref: poolRef(c, x),
      tol: TOL.tight,
    });
  }
  for (const [name, fn, log] of [
    ['softmax', softmax, false],
    ['logSoftmax', logSoftmax, true],
  ] as const) {
    for (const axis of [-1, 1]) {
      const x = uniform([2, 3, 4], -3, 3, `fb ${name} ${axis}`);
      out.push({
        name: `${name} axis ${axis}`,
        fn: (t) => fn(t, axis),
        inputs: [x],
        ref: softmaxRef(x, axis, log),
        tol: TOL.transcendental,
      });
    }
  }
  return out;
}

export function registerFallbacks(): void {
  for (const c of fallbackCases()) {
    check(`kernel vs fallback (withoutOptionalKernels): ${c.name}`, async () => {
      const make = () => c.inputs.map((h) => T(h));
      const kernelOut = await run1(() => c.fn(...make()));
      const fallbackOut = await run1(() => withoutOptionalKernels(() => c.fn(...make())));
      expectClose(kernelOut, c.ref, c.tol, `${c.name} (kernel path)`, 'float32');
      expectClose(fallbackOut, c.ref, c.tol, `${c.name} (fallback path)`, 'float32');
      expectAgree(fallbackOut, kernelOut, c.tol, `${c.name}: fallback vs kernel`);

      const inputs: GradInput[] = [...c.inputs];
      const g1 = await expectGrad(`${c.name} (kernel path)`, c.fn, inputs);
      const g2 = await expectGrad(
        `${c.name} (fallback path)`,
        (...xs) => withoutOptionalKernels(() => c.fn(...xs)),
        inputs,
      );
      g1.analytic.forEach((a, i) => {
        const b = g2.analytic[i];
        if (!a || !b) return;
        expectClose(
          { shape: [a.length], data: b },
          { shape: [a.length], data: a },
          { rtol: 1e-4, atol: 1e-5 },
          `${c.name}: gradient of input ${i}, fallback vs kernel`,
        );
      });
    });
  }

  check(
    "maxPool2d ties: kernel and fallback paths send each window's gradient to its first maximum",
    async () => {
      // 0/1 inputs tie everywhere, as ReLU outputs do.
      const x = choice([1, 2, 5, 5], [0, 1], 'pool ties');
      for (const c of [
        POOL_CASES[1],
        { ...POOL_CASES[2], x: [1, 2, 5, 5] },
        { ...POOL_CASES[0], name: 'k2 s1 (overlapping)', stride: 1 },
      ]) {
        const g = geom(c, two(c.k, 0));
        const outShape = poolRef(c, x).shape;
        const dy = uniform(outShape, -1, 1, `ties dy ${c.name}`);
        const want = maxPool2dGradRef(x, two(c.k, 0), g, dy);
        for (const fallback of [false, true]) {
          const leaf = T(x);
          leaf.requiresGrad = true;
          try {
            const step = () => tidy(() => sum(mul(poolFn(c)(leaf), T(dy))).backward());
            if (fallback) withoutOptionalKernels(step);
            else step();
            const got = { shape: leaf.shape, data: Float64Array.from(await leaf.grad!.data()) };
            expectClose(
              got,
              want,
              TOL.tight,
              `maxPool2d ${c.name} tie gradient (${fallback ? 'fallback' : 'kernel'} path)`,
            );
          } finally {
            leaf.dispose();
          }
        }
      }
    },
  );
}
