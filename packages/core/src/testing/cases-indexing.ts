/**
 * Joining and indexing: concat (mixed dtypes, empty parts), stack, pad,
 * gather, indexSelect (strided indices, repeats) and oneHot; values and gradients.
 */
import { concat, gather, indexSelect, oneHot, pad, stack, tensor } from '../index.js';
import { TOL, T, check, expectClose, expectGrad, integers, run1, uniform } from './harness.js';
import { broadcastRef, host, permuteRef, reshapeRef } from './reference.js';
import {
  concatRef,
  gatherRef,
  indexSelectRef,
  oneHotRef,
  padRef,
  stackRef,
} from './reference-nn.js';

export function registerIndexing(): void {
  check('concat: several axes, mixed dtypes, an empty part', async () => {
    const a = uniform([2, 3, 4], -1, 1, 'cat a');
    const b = uniform([2, 1, 4], -1, 1, 'cat b');
    const c = uniform([2, 3, 2], -1, 1, 'cat c');
    expectClose(
      await run1(() => concat([T(a), T(b)], 1)),
      concatRef([a, b], 1),
      TOL.exact,
      'concat axis 1',
      'float32',
    );
    expectClose(
      await run1(() => concat([T(a), T(c), T(a)], -1)),
      concatRef([a, c, a], 2),
      TOL.exact,
      'concat axis -1',
    );
    expectClose(
      await run1(() => concat([T(a), T(a)])),
      concatRef([a, a], 0),
      TOL.exact,
      'concat default axis 0',
    );
    expectClose(await run1(() => concat([T(a)], 1)), a, TOL.exact, 'concat of one tensor');
    const i = integers([2, 1, 4], -3, 3, 'cat int');
    expectClose(
      await run1(() => concat([T(a), T(i, 'int32')], 1)),
      concatRef([a, i], 1),
      TOL.exact,
      'concat float32 + int32',
      'float32',
    );
    expectClose(
      await run1(() => concat([T(i, 'int32'), T(i, 'int32')], 2)),
      concatRef([i, i], 2),
      TOL.exact,
      'concat int32',
      'int32',
    );
    const e = uniform([2, 0, 4], -1, 1, 'cat empty');
    expectClose(
      await run1(() => concat([T(a), T(e), T(b)], 1)),
      concatRef([a, b], 1),
      TOL.exact,
      'concat with an empty part',
    );
    expectClose(await run1(() => concat([T(e), T(e)], 1)), e, TOL.exact, 'concat of empty parts');
  });

  check('stack: new axis first, middle, last', async () => {
    const xs = [0, 1, 2].map((k) => uniform([2, 3], -1, 1, `stack ${k}`));
    for (const axis of [0, 1, 2, -1]) {
      expectClose(
        await run1(() =>
          stack(
            xs.map((x) => T(x)),
            axis,
          ),
        ),
        stackRef(xs, axis),
        TOL.exact,
        `stack axis ${axis}`,
      );
    }
  });

  check('pad: per-dimension before/after with a value, bool and int32, on a view', async () => {
    const x = uniform([2, 3, 4], -1, 1, 'pad');
    const pads: [number, number][][] = [
      [
        [0, 0],
        [1, 2],
        [0, 3],
      ],
      [
        [1, 1],
        [0, 0],
        [2, 0],
      ],
      [
        [0, 0],
        [0, 0],
        [0, 0],
      ],
    ];
    for (const p of pads) {
      expectClose(
        await run1(() => pad(T(x), p, -1.5)),
        padRef(x, p, -1.5),
        TOL.exact,
        `pad ${JSON.stringify(p)}`,
      );
    }
    expectClose(
      await run1(() => pad(T(x), pads[0])),
      padRef(x, pads[0], 0),
      TOL.exact,
      'pad default value 0',
    );
    const i = integers([2, 3], -3, 3, 'pad int');
    expectClose(
      await run1(() =>
        pad(
          T(i, 'int32'),
          [
            [1, 0],
            [0, 2],
          ],
          7,
        ),
      ),
      padRef(
        i,
        [
          [1, 0],
          [0, 2],
        ],
        7,
      ),
      TOL.exact,
      'pad int32',
      'int32',
    );
    expectClose(
      await run1(() =>
        T(x).mT.pad([
          [0, 0],
          [1, 1],
          [1, 0],
        ]),
      ),
      padRef(
        permuteRef(x, [0, 2, 1]),
        [
          [0, 0],
          [1, 1],
          [1, 0],
        ],
        0,
      ),
      TOL.exact,
      'pad of a view',
    );
  });

  check('gather along each axis, smaller index dims, repeated indices, int32 data', async () => {
    const x = uniform([3, 4, 5], -1, 1, 'gather');
    const cases: [number, readonly number[], number][] = [
      [0, [2, 4, 5], 3],
      [1, [3, 6, 5], 4],
      [2, [3, 4, 2], 5],
      [-1, [2, 3, 7], 5],
      [1, [1, 2, 3], 4],
    ];
    for (const [axis, shape, n] of cases) {
      const idx = integers(shape, 0, n, `gather idx ${axis} ${shape}`);
      expectClose(
        await run1(() => gather(T(x), axis, T(idx, 'int32'))),
        gatherRef(x, axis, idx),
        TOL.exact,
        `gather axis ${axis} index [${shape}]`,
      );
    }
    const xi = integers([3, 4], -9, 9, 'gather int');
    const idx = integers([3, 2], 0, 4, 'gather int idx');
    expectClose(
      await run1(() => T(xi, 'int32').gather(1, T(idx, 'int32'))),
      gatherRef(xi, 1, idx),
      TOL.exact,
      'gather int32',
      'int32',
    );
    const idxT = integers([5, 4], 0, 3, 'gather view idx');
    const got = await run1(() =>
      gather(
        T(x).permute([2, 1, 0]),
        2,
        T(idxT, 'int32').unsqueeze(1).expand([5, 4, 4]).slice([0, 0], [5, 4]).reshape([5, 4, 4]),
      ),
    );
    expectClose(
      got,
      gatherRef(permuteRef(x, [2, 1, 0]), 2, broadcastRef(reshapeRef(idxT, [5, 1, 4]), [5, 4, 4])),
      TOL.exact,
      'gather from a view with an expanded index',
    );
  });

  check('indexSelect on each axis with repeated indices; oneHot', async () => {
    const x = uniform([3, 4, 5], -1, 1, 'isel');
    for (const [axis, index] of [
      [0, [2, 0, 2, 1]],
      [1, [3, 3]],
      [-1, [4, 0, 1, 1, 2, 3]],
    ] as const) {
      const got = await run1(() => indexSelect(T(x), axis, tensor(Int32Array.from(index))));
      expectClose(
        got,
        indexSelectRef(x, axis, index),
        TOL.exact,
        `indexSelect axis ${axis} [${index}]`,
      );
    }
    const got = await run1(() => T(x).mT.indexSelect(1, tensor(Int32Array.from([4, 1]))));
    expectClose(
      got,
      indexSelectRef(permuteRef(x, [0, 2, 1]), 1, [4, 1]),
      TOL.exact,
      'indexSelect of a view',
    );
    // A strided index with an offset: column 1 of [[0,3,1],[2,2,0]]ᵀ is [2, 2, 0].
    const idx2 = host([0, 3, 1, 2, 2, 0], [2, 3]);
    const gotS = await run1(() =>
      indexSelect(T(x), 1, T(idx2, 'int32').mT.narrow(1, 1, 1).squeeze(1)),
    );
    expectClose(
      gotS,
      indexSelectRef(x, 1, [2, 2, 0]),
      TOL.exact,
      'indexSelect with a strided, offset index',
    );
    const labels = integers([2, 3], 0, 4, 'onehot');
    expectClose(
      await run1(() => oneHot(T(labels, 'int32'), 4)),
      oneHotRef(labels, 4),
      TOL.exact,
      'oneHot',
      'float32',
    );
    expectClose(
      await run1(() => oneHot(T(labels, 'int32'), 5, { dtype: 'int32' })),
      oneHotRef(labels, 5),
      TOL.exact,
      'oneHot int32',
      'int32',
    );
    expectClose(
      await run1(() => oneHot(T(labels, 'int32'), 4, { dtype: 'bool' })),
      oneHotRef(labels, 4),
      TOL.exact,
      'oneHot bool',
      'bool',
    );
  });

  check('gradients: concat, stack, pad', async () => {
    await expectGrad('concat axis 1', (a, b) => concat([a, b], 1), [
      uniform([2, 3], -1, 1, 'gc a'),
      uniform([2, 2], -1, 1, 'gc b'),
    ]);
    await expectGrad('concat axis 0 of views', (a, b) => concat([a.mT, b], 0), [
      uniform([2, 3], -1, 1, 'gc c'),
      uniform([1, 2], -1, 1, 'gc d'),
    ]);
    await expectGrad('stack axis 1', (a, b) => stack([a, b], 1), [
      uniform([2, 3], -1, 1, 'gs a'),
      uniform([2, 3], -1, 1, 'gs b'),
    ]);
    await expectGrad(
      'pad',
      (a) =>
        pad(
          a,
          [
            [1, 0],
            [2, 1],
          ],
          0.5,
        ),
      [uniform([2, 3], -1, 1, 'gp')],
    );
  });

  check('gradients: gather and indexSelect (repeated indices accumulate)', async () => {
    const idx = { h: host([0, 0, 2, 1, 3, 3, 1, 1, 0], [3, 3]), dtype: 'int32' as const };
    await expectGrad('gather axis 1', (x, i) => gather(x, 1, i), [
      uniform([3, 4], -1, 1, 'gg x'),
      idx,
    ]);
    const idx0 = { h: host([2, 2, 0, 1], [2, 2]), dtype: 'int32' as const };
    await expectGrad('gather axis 0, smaller index', (x, i) => gather(x, 0, i), [
      uniform([3, 4], -1, 1, 'gg0 x'),
      idx0,
    ]);
    const sel = { h: host([1, 1, 0, 3], [4]), dtype: 'int32' as const };
    await expectGrad('indexSelect axis 1', (x, i) => indexSelect(x, 1, i), [
      uniform([2, 4], -1, 1, 'gi x'),
      sel,
    ]);
    await expectGrad('indexSelect axis 0', (x, i) => indexSelect(x, 0, i), [
      uniform([4, 2], -1, 1, 'gi0 x'),
      sel,
    ]);
  });
}
