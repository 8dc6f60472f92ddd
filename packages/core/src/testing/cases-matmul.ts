/**
 * matmul: 2-D, batched, broadcast batches, vector promotion, transposed and
 * strided views as operands, sizes that stress tiling, empty dimensions,
 * and gradients.
 */
import { type Tensor, matmul } from '../index.js';
import { TOL, T, check, expectClose, expectGrad, run1, uniform } from './harness.js';
import { type HostArray, permuteRef, sliceRef } from './reference.js';
import { matmulRef } from './reference-nn.js';

/** An operand: the stored shape, and how the case views it (on the tensor and the host alike). */
interface Operand {
  readonly stored: readonly number[];
  readonly view?: { t: (x: Tensor) => Tensor; h: (x: HostArray) => HostArray };
}

interface MatmulCase {
  readonly name: string;
  readonly a: Operand;
  readonly b: Operand;
}

const swapLast = (x: HostArray): HostArray => {
  const r = x.shape.length;
  const perm = x.shape.map((_, i) => i);
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return permuteRef(x, perm);
};
const mT = { t: (x: Tensor) => x.mT, h: swapLast };
const op = (stored: readonly number[], view?: Operand['view']): Operand => ({ stored, view });

export const MATMUL_CASES: readonly MatmulCase[] = [
  { name: '2-D [3,4]@[4,5]', a: op([3, 4]), b: op([4, 5]) },
  { name: 'batched [2,3,4]@[2,4,5]', a: op([2, 3, 4]), b: op([2, 4, 5]) },
  { name: 'broadcast batch [2,1,3,4]@[5,4,2]', a: op([2, 1, 3, 4]), b: op([5, 4, 2]) },
  { name: 'one matrix over a batch [3,4]@[2,4,5]', a: op([3, 4]), b: op([2, 4, 5]) },
  { name: 'batch over one matrix [2,3,4]@[4,5]', a: op([2, 3, 4]), b: op([4, 5]) },
  { name: '1-D@2-D [4]@[4,5]', a: op([4]), b: op([4, 5]) },
  { name: '2-D@1-D [3,4]@[4]', a: op([3, 4]), b: op([4]) },
  { name: '1-D@1-D [4]@[4]', a: op([4]), b: op([4]) },
  { name: '1-D@3-D [4]@[2,4,5]', a: op([4]), b: op([2, 4, 5]) },
  { name: '3-D@1-D [2,3,4]@[4]', a: op([2, 3, 4]), b: op([4]) },
  { name: 'outer product k=1 [3,1]@[1,4]', a: op([3, 1]), b: op([1, 4]) },
  { name: 'A.mT (stored [4,3])', a: op([4, 3], mT), b: op([4, 5]) },
  { name: 'B.mT (stored [5,4])', a: op([3, 4]), b: op([5, 4], mT) },
  { name: 'both .mT, batched', a: op([2, 4, 3], mT), b: op([2, 5, 4], mT) },
  {
    name: 'A.permute([1,0,2]) (batch-strided view)',
    a: op([3, 2, 4], { t: (x) => x.permute([1, 0, 2]), h: (x) => permuteRef(x, [1, 0, 2]) }),
    b: op([2, 4, 5]),
  },
  {
    name: 'B.permute([2,0,1]) (stored [5,2,4])',
    a: op([2, 3, 4]),
    b: op([5, 2, 4], { t: (x) => x.permute([1, 2, 0]), h: (x) => permuteRef(x, [1, 2, 0]) }),
  },
  {
    name: 'A sliced columns (row stride ≠ cols)',
    a: op([3, 6], { t: (x) => x.slice([0, 1], [3, 5]), h: (x) => sliceRef(x, [0, 1], [3, 5]) }),
    b: op([4, 5]),
  },
  {
    name: 'B sliced rows (offset view)',
    a: op([3, 4]),
    b: op([6, 5], { t: (x) => x.slice([2], [6]), h: (x) => sliceRef(x, [2, 0], [6, 5]) }),
  },
  {
    name: 'A expanded over a batch (stride 0)',
    a: op([3, 4], {
      t: (x) => x.expand([2, 3, 4]),
      h: (x) => ({ shape: [2, 3, 4], data: Float64Array.from([...x.data, ...x.data]) }),
    }),
    b: op([2, 4, 5]),
  },
  { name: 'odd sizes [37,53]@[53,41]', a: op([37, 53]), b: op([53, 41]) },
  { name: 'batched odd sizes [3,17,9]@[3,9,33]', a: op([3, 17, 9]), b: op([3, 9, 33]) },
];

function operand(o: Operand, seed: string): { h: HostArray; t: () => Tensor } {
  const stored = uniform(o.stored, -1, 1, seed);
  return {
    h: o.view ? o.view.h(stored) : stored,
    t: () => (o.view ? o.view.t(T(stored)) : T(stored)),
  };
}

export function registerMatmul(): void {
  for (const c of MATMUL_CASES) {
    check(`forward ${c.name}`, async () => {
      const a = operand(c.a, `mm a ${c.name}`);
      const b = operand(c.b, `mm b ${c.name}`);
      expectClose(
        await run1(() => matmul(a.t(), b.t())),
        matmulRef(a.h, b.h),
        TOL.sums,
        c.name,
        'float32',
      );
      // The method form agrees.
      expectClose(
        await run1(() => a.t().matmul(b.t())),
        matmulRef(a.h, b.h),
        TOL.sums,
        `${c.name} (method)`,
      );
    });
  }

  check('empty dimensions: k=0 gives zeros, m=0 / n=0 / batch 0 give empty results', async () => {
    const cases: [readonly number[], readonly number[], readonly number[]][] = [
      [
        [2, 0],
        [0, 3],
        [2, 3],
      ],
      [
        [2, 2, 0],
        [2, 0, 3],
        [2, 2, 3],
      ],
      [
        [0, 4],
        [4, 3],
        [0, 3],
      ],
      [
        [2, 4],
        [4, 0],
        [2, 0],
      ],
      [
        [0, 2, 4],
        [4, 3],
        [0, 2, 3],
      ],
      [[0], [0], []],
    ];
    for (const [sa, sb, so] of cases) {
      const a = uniform(sa, -1, 1, 'empty a');
      const b = uniform(sb, -1, 1, 'empty b');
      const want = matmulRef(a, b);
      expectClose(
        await run1(() => matmul(T(a), T(b))),
        want,
        TOL.exact,
        `[${sa}]@[${sb}]`,
        'float32',
      );
      expectClose(
        want,
        { shape: so, data: new Float64Array(want.data.length) },
        TOL.exact,
        `reference [${sa}]@[${sb}]`,
      );
    }
  });

  const GRAD_CASES: readonly MatmulCase[] = [
    { name: '2-D [2,3]@[3,4]', a: op([2, 3]), b: op([3, 4]) },
    { name: 'broadcast batch [2,1,2,3]@[3,3,2]', a: op([2, 1, 2, 3]), b: op([3, 3, 2]) },
    { name: 'one matrix over a batch [2,3]@[2,3,2]', a: op([2, 3]), b: op([2, 3, 2]) },
    { name: '1-D@2-D [3]@[3,2]', a: op([3]), b: op([3, 2]) },
    { name: '2-D@1-D [2,3]@[3]', a: op([2, 3]), b: op([3]) },
    { name: '1-D@1-D [3]@[3]', a: op([3]), b: op([3]) },
    { name: '1-D@3-D [3]@[2,3,2]', a: op([3]), b: op([2, 3, 2]) },
    { name: 'A.mT, B.mT', a: op([3, 2], mT), b: op([4, 3], mT) },
    {
      name: 'A.permute batch-strided',
      a: op([2, 2, 3], { t: (x) => x.permute([1, 0, 2]), h: (x) => x }),
      b: op([2, 3, 2]),
    },
  ];
  for (const c of GRAD_CASES) {
    check(`gradient ${c.name}`, async () => {
      const a = uniform(c.a.stored, -1, 1, `g mm a ${c.name}`);
      const b = uniform(c.b.stored, -1, 1, `g mm b ${c.name}`);
      const va = c.a.view?.t ?? ((x: Tensor) => x);
      const vb = c.b.view?.t ?? ((x: Tensor) => x);
      await expectGrad(c.name, (x, y) => matmul(va(x), vb(y)), [a, b]);
    });
  }
}
