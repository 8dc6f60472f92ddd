/**
 * Views: shared storage (no new buffers), reads through strides, offsets and
 * stride-0 dims, ops on non-contiguous inputs, contiguous() copies, reshape of
 * views, and the gradient of every view.
 */
import { expect } from 'vitest';
import {
  type Tensor,
  add,
  broadcastTo,
  concat,
  exp,
  memory,
  mul,
  sum,
  tidy,
  where,
} from '../index.js';
import { TOL, T, check, expectClose, expectGrad, run1, uniform } from './harness.js';
import {
  type HostArray,
  REDUCERS,
  broadcastRef,
  map1,
  mapN,
  permuteRef,
  reduceRef,
  reshapeRef,
  sliceRef,
} from './reference.js';
import { concatRef } from './reference-nn.js';

interface ViewCase {
  readonly name: string;
  readonly t: (x: Tensor) => Tensor;
  readonly h: (x: HostArray) => HostArray;
}

/** Views of a [3,4,5] tensor, with their host equivalents. */
export const VIEW_CASES: readonly ViewCase[] = [
  { name: 'reshape [12,5]', t: (x) => x.reshape([12, 5]), h: (x) => reshapeRef(x, [12, 5]) },
  { name: 'reshape with -1', t: (x) => x.reshape([-1, 10]), h: (x) => reshapeRef(x, [6, 10]) },
  { name: 'flatten', t: (x) => x.flatten(), h: (x) => reshapeRef(x, [60]) },
  { name: 'flatten(1, 2)', t: (x) => x.flatten(1, 2), h: (x) => reshapeRef(x, [3, 20]) },
  { name: 'permute [2,0,1]', t: (x) => x.permute([2, 0, 1]), h: (x) => permuteRef(x, [2, 0, 1]) },
  { name: 'transpose(0, 2)', t: (x) => x.transpose(0, 2), h: (x) => permuteRef(x, [2, 1, 0]) },
  { name: '.mT', t: (x) => x.mT, h: (x) => permuteRef(x, [0, 2, 1]) },
  {
    name: 'slice [1:3, :, 2:]',
    t: (x) => x.slice([1, 0, 2], [3, 4, 5]),
    h: (x) => sliceRef(x, [1, 0, 2], [3, 4, 5]),
  },
  {
    name: 'slice with negative begin',
    t: (x) => x.slice([-2]),
    h: (x) => sliceRef(x, [1, 0, 0], [3, 4, 5]),
  },
  {
    name: 'narrow(1, 1, 2)',
    t: (x) => x.narrow(1, 1, 2),
    h: (x) => sliceRef(x, [0, 1, 0], [3, 3, 5]),
  },
  { name: 'unsqueeze(1)', t: (x) => x.unsqueeze(1), h: (x) => reshapeRef(x, [3, 1, 4, 5]) },
  { name: 'unsqueeze(-1).squeeze(-1)', t: (x) => x.unsqueeze(-1).squeeze(-1), h: (x) => x },
  {
    name: 'slice to size 1 then squeeze',
    t: (x) => x.slice([0, 2], [3, 3]).squeeze(1),
    h: (x) => reshapeRef(sliceRef(x, [0, 2, 0], [3, 3, 5]), [3, 5]),
  },
  {
    name: 'expand [2,3,4,5]',
    t: (x) => x.unsqueeze(0).expand([2, 3, 4, 5]),
    h: (x) => broadcastRef(x, [2, 3, 4, 5]),
  },
  {
    name: 'expand a size-1 dim',
    t: (x) => x.slice([0, 0, 1], [3, 4, 2]).expand([3, 4, 6]),
    h: (x) => broadcastRef(sliceRef(x, [0, 0, 1], [3, 4, 2]), [3, 4, 6]),
  },
  {
    name: 'permute of a slice (offset + strides)',
    t: (x) => x.slice([1, 1], [3, 4]).permute([2, 1, 0]),
    h: (x) => permuteRef(sliceRef(x, [1, 1, 0], [3, 4, 5]), [2, 1, 0]),
  },
  {
    name: 'broadcastTo with -1',
    t: (x) => broadcastTo(x.unsqueeze(0), [2, -1, -1, -1]),
    h: (x) => broadcastRef(x, [2, 3, 4, 5]),
  },
  {
    name: 'squeeze() of every size-1 dim',
    t: (x) => x.unsqueeze(0).unsqueeze(2).squeeze(),
    h: (x) => x,
  },
  {
    name: 'slice with end past the size (clamped)',
    t: (x) => x.slice([1, 2], [10, 10]),
    h: (x) => sliceRef(x, [1, 2, 0], [3, 4, 5]),
  },
  {
    name: 'slice leading rows (offset 0, fewer elements)',
    t: (x) => x.slice([0], [2]),
    h: (x) => sliceRef(x, [0, 0, 0], [2, 4, 5]),
  },
  { name: 'detach', t: (x) => x.detach(), h: (x) => x },
];

export function registerViews(): void {
  check('views share storage: no new buffer for any view', async () => {
    const x = T(uniform([3, 4, 5], -1, 1, 'share'));
    try {
      const buffers = memory().numBuffers;
      tidy(() => {
        const views = VIEW_CASES.map((c) => c.t(x));
        expect(memory().numBuffers, 'a view allocated a buffer').toBe(buffers);
        views.forEach((v, i) => {
          expect(v.storage, `${VIEW_CASES[i].name} does not share storage`).toBe(x.storage);
        });
      });
    } finally {
      x.dispose();
    }
  });

  check('views read back correctly (strides, offsets, stride-0 dims)', async () => {
    const x = uniform([3, 4, 5], -1, 1, 'view read');
    for (const c of VIEW_CASES)
      expectClose(await run1(() => c.t(T(x))), c.h(x), TOL.exact, c.name, 'float32');
  });

  check(
    'ops on non-contiguous views: unary, binary, where, reduce, concat, chained views',
    async () => {
      const x = uniform([3, 4, 5], -1, 1, 'view ops');
      const byName = (n: string) => VIEW_CASES.find((c) => c.name === n)!;
      const pv = byName('permute [2,0,1]');
      const sv = byName('permute of a slice (offset + strides)');
      const ev = byName('expand [2,3,4,5]');
      const cases: [string, () => Tensor, HostArray][] = [
        ['exp(permuted)', () => exp(pv.t(T(x))), map1(pv.h(x), Math.exp)],
        [
          'permuted + transposed',
          () => add(pv.t(T(x)), T(x).transpose(0, 2).transpose(1, 2)),
          mapN([pv.h(x), permuteRef(x, [2, 0, 1])], (a, b) => a + b),
        ],
        ['sliced-permuted * 2', () => mul(sv.t(T(x)), 2), map1(sv.h(x), (v) => v * 2)],
        [
          'expanded * permuted-back',
          () => mul(ev.t(T(x)), T(x)),
          mapN([ev.h(x), x], (a, b) => a * b),
        ],
        [
          'where on views',
          () => where(T(x).mT.gt(0), T(x).mT, T(x).mT.neg()),
          map1(permuteRef(x, [0, 2, 1]), Math.abs),
        ],
        [
          'sum over a sliced view',
          () => sum(sv.t(T(x)), [0, 2]),
          reduceRef(sv.h(x), [0, 2], false, REDUCERS.sum),
        ],
        [
          'concat of views',
          () => concat([pv.t(T(x)), sv.t(T(x)).slice([0, 0, 0], [5, 3, 2])], 2),
          concatRef([pv.h(x), sliceRef(sv.h(x), [0, 0, 0], [5, 3, 2])], 2),
        ],
        [
          'view of a view of a view',
          () => T(x).permute([1, 2, 0]).slice([1], [3]).mT.reshape([-1]),
          reshapeRef(
            permuteRef(sliceRef(permuteRef(x, [1, 2, 0]), [1, 0, 0], [3, 5, 3]), [0, 2, 1]),
            [30],
          ),
        ],
      ];
      for (const [label, fn, want] of cases) expectClose(await run1(fn), want, TOL.tight, label);
    },
  );

  check(
    'contiguous() copies a view into a new buffer; a contiguous tensor is returned as is',
    async () => {
      const h = uniform([3, 4, 5], -1, 1, 'contig');
      const x = T(h);
      const v = x.permute([2, 0, 1]);
      try {
        const before = memory().numBuffers;
        const c = v.contiguous();
        expect(memory().numBuffers, 'contiguous() of a view must copy').toBe(before + 1);
        expect(c.isContiguous).toBe(true);
        expectClose(
          { shape: c.shape, data: Float64Array.from(await c.data()) },
          permuteRef(h, [2, 0, 1]),
          TOL.exact,
          'contiguous copy',
        );
        const same = x.contiguous();
        expect(memory().numBuffers, 'contiguous() of a contiguous tensor must not copy').toBe(
          before + 1,
        );
        expect(same.storage).toBe(x.storage);
        c.dispose();
      } finally {
        v.dispose();
        x.dispose();
      }
    },
  );

  check('reshape of non-contiguous views copies and keeps row-major order', async () => {
    const x = uniform([3, 4, 5], -1, 1, 'reshape view');
    const cases: [string, () => Tensor, HostArray][] = [
      [
        'permute→reshape',
        () => T(x).permute([1, 0, 2]).reshape([4, 15]),
        reshapeRef(permuteRef(x, [1, 0, 2]), [4, 15]),
      ],
      [
        'slice→reshape',
        () => T(x).slice([0, 1], [3, 3]).reshape([6, 5]),
        reshapeRef(sliceRef(x, [0, 1, 0], [3, 3, 5]), [6, 5]),
      ],
      [
        'expand→reshape',
        () => T(x).slice([0], [1]).expand([2, 4, 5]).reshape([8, 5]),
        reshapeRef(broadcastRef(sliceRef(x, [0, 0, 0], [1, 4, 5]), [2, 4, 5]), [8, 5]),
      ],
      ['mT→flatten', () => T(x).mT.flatten(), reshapeRef(permuteRef(x, [0, 2, 1]), [60])],
    ];
    for (const [label, fn, want] of cases) expectClose(await run1(fn), want, TOL.exact, label);
  });

  for (const c of VIEW_CASES.filter((v) => v.name !== 'detach')) {
    check(`gradient through ${c.name}`, async () => {
      await expectGrad(c.name, (x) => c.t(x), [uniform([3, 4, 5], -1, 1, `g view ${c.name}`)]);
    });
  }
  check('gradient through contiguous() of a view and through clone()', async () => {
    await expectGrad('contiguous', (x) => x.mT.contiguous(), [
      uniform([2, 3, 4], -1, 1, 'g contig'),
    ]);
    await expectGrad('clone', (x) => x.clone(), [uniform([2, 3], -1, 1, 'g clone')]);
  });
}
