/**
 * conv2d, maxPool2d and avgPool2d against naive float64 loops, their
 * gradients, and every optional-kernel fallback path (withoutOptionalKernels) checked
 * against the kernel path, the reference and finite differences.
 */
import { expect } from 'vitest';
import {
  type Pair,
  type Tensor,
  avgPool2d,
  conv2d,
  maxPool2d,
  memory,
  mul,
  sum,
  tidy,
  withoutOptionalKernels,
} from '../index.js';
import {
  type Out,
  TOL,
  type Tol,
  T,
  check,
  distinct,
  expectAgree,
  expectClose,
  expectGrad,
  run,
  run1,
  uniform,
} from './harness.js';
import type { HostArray } from './reference.js';
import { type Window2d, conv2dRef, pool2dRef } from './reference-nn.js';

export const two = (p: Pair | undefined, d: number): [number, number] =>
  p === undefined ? [d, d] : typeof p === 'number' ? [p, p] : [p[0], p[1]];

export interface ConvCase {
  readonly name: string;
  readonly x: readonly number[];
  readonly w: readonly number[];
  readonly bias?: boolean;
  readonly stride?: Pair;
  readonly padding?: Pair;
  readonly dilation?: Pair;
  /** Channel groups (conv2d's `groups`); w is then [O, C/groups, KH, KW]. */
  readonly groups?: number;
}

/** A row: name, input and weight shapes, options (bias: true adds a bias). */
export const cc = (
  name: string,
  x: number[],
  w: number[],
  more: Partial<ConvCase> = {},
): ConvCase => ({
  name,
  x,
  w,
  ...more,
});

export const CONV_CASES: readonly ConvCase[] = [
  cc('basic 3×3', [1, 2, 5, 5], [3, 2, 3, 3]),
  cc('stride 2, padding 1, bias', [2, 3, 7, 7], [4, 3, 3, 3], {
    stride: 2,
    padding: 1,
    bias: true,
  }),
  cc('dilation 2', [1, 2, 7, 7], [2, 2, 3, 3], { dilation: 2 }),
  cc('non-square 2×3 kernel, stride [1,2], padding [1,0], bias', [2, 2, 6, 7], [3, 2, 2, 3], {
    stride: [1, 2],
    padding: [1, 0],
    bias: true,
  }),
  cc('1×1 kernel', [2, 4, 3, 3], [5, 4, 1, 1]),
  cc('stride [2,3], padding [2,1], dilation [2,1], 3×2 kernel, bias', [1, 3, 8, 9], [2, 3, 3, 2], {
    stride: [2, 3],
    padding: [2, 1],
    dilation: [2, 1],
    bias: true,
  }),
  cc('kernel covers the input (1×1 output)', [2, 2, 3, 3], [3, 2, 3, 3], { bias: true }),
  cc('stride larger than the kernel', [1, 1, 8, 8], [2, 1, 2, 2], { stride: 3 }),
  ...groupedForwardCases(),
];

/** Grouped and depthwise rows (issues 14 and 16): the grouped kernels and their fallback. */
function groupedForwardCases(): ConvCase[] {
  return [
    cc('groups 2 (C=4, O=6), stride 2, padding 1, bias', [2, 4, 7, 7], [6, 2, 3, 3], {
      stride: 2,
      padding: 1,
      bias: true,
      groups: 2,
    }),
    cc('depthwise ×2 (C=3, O=6), stride 2, padding 1', [2, 3, 7, 7], [6, 1, 3, 3], {
      stride: 2,
      padding: 1,
      groups: 3,
    }),
    cc('depthwise 3×3, stride 1, padding 1, bias', [2, 4, 6, 6], [4, 1, 3, 3], {
      padding: 1,
      bias: true,
      groups: 4,
    }),
    cc(
      'depthwise 2×3 kernel, dilation 2, stride [1,2], padding [2,1]',
      [1, 3, 8, 9],
      [3, 1, 2, 3],
      {
        stride: [1, 2],
        padding: [2, 1],
        dilation: 2,
        groups: 3,
      },
    ),
    cc('depthwise 3×3 on a 2×2 input, padding 1 (no interior column)', [1, 2, 2, 2], [2, 1, 3, 3], {
      padding: 1,
      groups: 2,
    }),
    cc('depthwise ×2 (C=2, O=4), stride 1, padding 1', [2, 2, 5, 6], [4, 1, 3, 3], {
      padding: 1,
      groups: 2,
    }),
    cc(
      'depthwise ×2 2×3 kernel, stride 1, padding [1,2], dilation [2,1]',
      [1, 2, 6, 7],
      [4, 1, 2, 3],
      {
        padding: [1, 2],
        dilation: [2, 1],
        groups: 2,
      },
    ),
    cc('depthwise 3×3, stride 1, padding 3 (wider than the kernel)', [1, 2, 4, 4], [2, 1, 3, 3], {
      padding: 3,
      groups: 2,
    }),
    cc('groups 2, 1×1 kernel', [2, 4, 3, 3], [6, 2, 1, 1], { groups: 2 }),
    cc('groups 3 (C=6, O=3), 2×2 kernel, padding [0,1]', [1, 6, 4, 5], [3, 2, 2, 2], {
      padding: [0, 1],
      groups: 3,
    }),
  ];
}

/** The rows the gradient and agreement checks run (the brief of issues 14 and 16). */
export const GROUPED_GRAD_CASES: readonly ConvCase[] = [
  cc('groups 2 (C=4, O=6), stride 2, padding 1, bias', [2, 4, 5, 5], [6, 2, 3, 3], {
    stride: 2,
    padding: 1,
    bias: true,
    groups: 2,
  }),
  cc('depthwise ×2 (C=3, O=6), stride 2, padding 1, bias', [2, 3, 5, 5], [6, 1, 3, 3], {
    stride: 2,
    padding: 1,
    bias: true,
    groups: 3,
  }),
  cc('depthwise 3×3, stride 1, padding 1', [2, 2, 5, 5], [2, 1, 3, 3], { padding: 1, groups: 2 }),
];

export const geom = (
  c: { stride?: Pair; padding?: Pair; dilation?: Pair; groups?: number },
  defStride: [number, number] = [1, 1],
): Window2d => ({
  stride: c.stride === undefined ? defStride : two(c.stride, 1),
  padding: two(c.padding, 0),
  dilation: two(c.dilation, 1),
  ...('groups' in c && c.groups !== undefined ? { groups: c.groups } : {}),
});

export function convFn(c: ConvCase): (...xs: Tensor[]) => Tensor {
  const opts = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups };
  return (x, w, b) => conv2d(x, w, { ...opts, bias: c.bias ? b : undefined });
}

export function convData(c: ConvCase, seed: string): HostArray[] {
  const xs = [uniform(c.x, -1, 1, `${seed} x`), uniform(c.w, -1, 1, `${seed} w`)];
  if (c.bias) xs.push(uniform([c.w[0]], -1, 1, `${seed} b`));
  return xs;
}

export const convRef = (c: ConvCase, [x, w, b]: HostArray[]) => conv2dRef(x, w, b ?? null, geom(c));

export interface PoolCase {
  readonly name: string;
  readonly kind: 'max' | 'avg';
  readonly x: readonly number[];
  readonly k: Pair;
  readonly stride?: Pair;
  readonly padding?: Pair;
  readonly dilation?: Pair;
}

/** A row: name, kind, input shape, kernel, options (stride defaults to the kernel). */
const pc = (
  name: string,
  kind: 'max' | 'avg',
  x: number[],
  k: Pair,
  more: Partial<PoolCase> = {},
) => ({ name, kind, x, k, ...more }) as PoolCase;

export const POOL_CASES: readonly PoolCase[] = [
  pc('k2 (stride defaults to kernel)', 'max', [1, 2, 4, 4], 2),
  pc('k3 s2 p1', 'max', [2, 2, 7, 7], 3, { stride: 2, padding: 1 }),
  pc('k[2,3] s[1,2]', 'max', [1, 3, 5, 6], [2, 3], { stride: [1, 2] }),
  pc('k3 s1 p1 dilation 2', 'max', [1, 1, 7, 7], 3, { stride: 1, padding: 1, dilation: 2 }),
  pc('k2 s3 (stride > kernel)', 'max', [1, 2, 7, 7], 2, { stride: 3 }),
  pc('k2 (stride defaults to kernel)', 'avg', [1, 2, 4, 4], 2),
  pc('k3 s2 p1 (padding counts in the divisor)', 'avg', [2, 2, 7, 7], 3, { stride: 2, padding: 1 }),
  pc('k[2,3] s[1,2] p[1,1]', 'avg', [1, 3, 5, 6], [2, 3], { stride: [1, 2], padding: [1, 1] }),
  pc('k2 s1 (overlapping)', 'avg', [2, 1, 4, 5], 2, { stride: 1 }),
  pc('k2 s3 (stride > kernel)', 'avg', [1, 2, 7, 7], 2, { stride: 3 }),
];

export function poolFn(c: PoolCase): (x: Tensor) => Tensor {
  const opts = {
    stride: c.stride,
    padding: c.padding,
    ...(c.dilation ? { dilation: c.dilation } : {}),
  };
  return (x) => (c.kind === 'max' ? maxPool2d(x, c.k, opts) : avgPool2d(x, c.k, opts));
}

export const poolRef = (c: PoolCase, x: HostArray) =>
  pool2dRef(c.kind, x, two(c.k, 0), geom(c, two(c.k, 0)));
/** Max pooling needs distinct values (gap ≫ eps) for its gradient; negatives check −∞ padding. */
export const poolData = (c: PoolCase, seed: string) =>
  c.kind === 'max' ? distinct(c.x, seed, 0.05) : uniform(c.x, -1, 1, seed);

/** The optional kernels of a grouped convolution; hiding them runs the per-group path. */
export const GROUPED_CONV_KERNELS = [
  'groupedConv2d',
  'groupedConv2dBackwardInput',
  'groupedConv2dBackwardFilter',
] as const;

/**
 * y = conv(x, w, b) and the gradients of Σ y·dy for x, w and (with a bias)
 * b, read back; inside withoutOptionalKernels(hide) when `hide` is given.
 */
async function convWithGrads(
  c: ConvCase,
  data: HostArray[],
  dy: HostArray,
  hide?: readonly string[],
): Promise<Out[]> {
  const leaves = data.map((h) => T(h));
  for (const t of leaves) t.requiresGrad = true;
  try {
    const body = () =>
      run(() => {
        const y = convFn(c)(leaves[0], leaves[1], leaves[2]);
        sum(mul(y, T(dy))).backward();
        return [y.detach(), ...leaves.map((t) => t.grad as Tensor)];
      });
    return hide ? await withoutOptionalKernels(body, hide) : await body();
  } finally {
    for (const t of leaves) t.dispose();
  }
}

/**
 * Tolerance between the grouped kernels and the per-group path. Both sum the
 * same float32 products in different orders; for n terms the float32 error
 * of either sum is at most (n−1)·2⁻²⁴·Σ|term| (Higham, Accuracy and
 * Stability, §4.2), and |term| ≤ 1 here (inputs, weights and dy in [−1, 1]),
 * so two sums differ by at most 2·(n−1)·n·2⁻²⁴ absolutely: that is atol,
 * with the brief's rtol 1e-5. n: Cg·KH·KW for the output, Og·KH·KW for the
 * input gradient, N·OH·OW for weight and bias gradients (an upper bound: not
 * every tap is inside the image).
 */
function agreeTol(c: ConvCase, yShape: readonly number[], which: number): Tol {
  const [n, , oh, ow] = yShape;
  const [o, cg, kh, kw] = c.w;
  const og = o / (c.groups ?? 1);
  const terms = [cg * kh * kw, og * kh * kw, n * oh * ow, n * oh * ow][which];
  return { rtol: 1e-5, atol: 2 * (terms - 1) * terms * 2 ** -24 };
}

export function registerConv(): void {
  for (const c of CONV_CASES) {
    check(`conv2d forward: ${c.name}`, async () => {
      const data = convData(c, `conv ${c.name}`);
      expectClose(
        await run1(() => convFn(c)(...data.map((d) => T(d)))),
        convRef(c, data),
        TOL.sums,
        c.name,
        'float32',
      );
    });
  }

  check('conv2d forward on a non-contiguous input and weight', async () => {
    const c = CONV_CASES[1];
    const data = convData(c, 'conv view');
    const got = await run1(() => {
      const x = T(data[0]).permute([0, 2, 3, 1]).contiguous().permute([0, 3, 1, 2]);
      const w = T(data[1]).transpose(2, 3).contiguous().transpose(2, 3);
      return convFn(c)(x, w, T(data[2]));
    });
    expectClose(got, convRef(c, data), TOL.sums, 'conv2d of permuted views');
  });

  const CONV_GRAD: readonly ConvCase[] = [
    cc('basic', [1, 2, 4, 4], [2, 2, 3, 3]),
    cc('stride 2, padding 1, bias', [2, 1, 5, 5], [2, 1, 3, 3], {
      stride: 2,
      padding: 1,
      bias: true,
    }),
    cc('dilation 2, padding 1', [1, 1, 5, 5], [2, 1, 2, 2], { dilation: 2, padding: 1 }),
    cc('non-square kernel, stride [1,2], padding [1,0], bias', [1, 2, 4, 5], [2, 2, 2, 3], {
      stride: [1, 2],
      padding: [1, 0],
      bias: true,
    }),
  ];
  for (const c of [...CONV_GRAD, ...GROUPED_GRAD_CASES]) {
    check(`conv2d gradient: ${c.name}`, async () => {
      await expectGrad(`conv2d ${c.name}`, convFn(c), convData(c, `g conv ${c.name}`));
    });
  }

  for (const c of [...GROUPED_GRAD_CASES, ...groupedForwardCases()]) {
    check(`grouped conv2d kernels vs the per-group path: ${c.name}`, async () => {
      const data = convData(c, `agree ${c.name}`);
      const yShape = convRef(c, data).shape;
      const dy = uniform(yShape, -1, 1, `agree dy ${c.name}`);
      const kernel = await convWithGrads(c, data, dy);
      const perGroup = await convWithGrads(c, data, dy, GROUPED_CONV_KERNELS);
      const what = ['output', 'input gradient', 'weight gradient', 'bias gradient'];
      kernel.forEach((k, i) => {
        expectAgree(
          perGroup[i],
          k,
          agreeTol(c, yShape, i),
          `${c.name}: ${what[i]}, per-group vs kernel`,
        );
      });
    });
  }

  check('grouped conv2d training steps keep the live tensor count flat', async () => {
    const c = GROUPED_GRAD_CASES[1];
    const [xh, wh, bh] = convData(c, 'grouped steps');
    const x = T(xh);
    const w = T(wh);
    const b = T(bh);
    w.requiresGrad = true;
    b.requiresGrad = true;
    try {
      const counts: number[] = [];
      for (let step = 0; step < 4; step++) {
        tidy(() => {
          const y = convFn(c)(x, w, b);
          sum(y.square()).backward();
          w.grad?.dispose();
          b.grad?.dispose();
          w.grad = null;
          b.grad = null;
        });
        counts.push(memory().numTensors);
      }
      expect(counts, 'live tensors after each step').toEqual(counts.map(() => counts[0]));
    } finally {
      x.dispose();
      w.dispose();
      b.dispose();
    }
  });

  for (const c of POOL_CASES) {
    check(`${c.kind}Pool2d forward: ${c.name}`, async () => {
      const x = poolData(c, `pool ${c.kind} ${c.name}`);
      expectClose(
        await run1(() => poolFn(c)(T(x))),
        poolRef(c, x),
        c.kind === 'max' ? TOL.exact : TOL.tight,
        c.name,
        'float32',
      );
    });
    check(`${c.kind}Pool2d gradient: ${c.name}`, async () => {
      const x = poolData(c, `g pool ${c.kind} ${c.name}`);
      await expectGrad(`${c.kind}Pool2d ${c.name}`, poolFn(c), [x]);
    });
  }

  check('maxPool2d pads with −∞: an all-negative input never pools a padded 0', async () => {
    const c = POOL_CASES[1];
    const x = uniform(c.x, -3, -1, 'pool negative');
    const got = await run1(() => poolFn(c)(T(x)));
    expect(
      got.data.every((v) => v < 0),
      'maxPool2d output contains a padded zero',
    ).toBe(true);
    expectClose(got, poolRef(c, x), TOL.exact, 'maxPool2d all negative');
  });
}
