/**
 * Broadcasting edge cases: size-1 dims, 0-d tensors and JS numbers, empty
 * tensors through every kind of op, and shape errors that name the op and both shapes.
 */
import {
  type Tensor,
  add,
  cast,
  concat,
  exp,
  matmul,
  max,
  mean,
  mul,
  prod,
  softmax,
  sum,
  where,
} from '../index.js';
import { TOL, T, check, expectClose, expectThrows, run1, uniform } from './harness.js';
import { type HostArray, host, mapN } from './reference.js';

const H = (data: number[], shape: readonly number[]) => host(data, shape);

export function registerBroadcast(): void {
  check('size-1 dims, 0-d tensors and JS numbers broadcast', async () => {
    const a = uniform([3, 1, 5], -1, 1, 'b a');
    const b = uniform([1, 4, 1], -1, 1, 'b b');
    const s = uniform([], -1, 1, 'b s');
    const plus = (x: number, y: number) => x + y;
    expectClose(
      await run1(() => add(T(a), T(b))),
      mapN([a, b], plus),
      TOL.tight,
      '[3,1,5] + [1,4,1]',
    );
    expectClose(await run1(() => add(T(s), T(s))), mapN([s, s], plus), TOL.tight, '0-d + 0-d');
    expectClose(
      await run1(() => mul(T(s), 3)),
      mapN([s, host([3], [])], (x, y) => x * y),
      TOL.tight,
      '0-d * 3',
    );
    expectClose(
      await run1(() => where(T(host([1], []), 'bool'), T(a), T(b))),
      mapN([a, b], (x) => x),
      TOL.tight,
      'where(0-d cond, [3,1,5], [1,4,1])',
    );
  });

  const e = uniform([2, 0, 3], -1, 1, 'e');
  const EMPTY: [string, () => Tensor, HostArray][] = [
    ['[0] + [0]', () => add(T(H([], [0])), T(H([], [0]))), H([], [0])],
    ['[0] + [1]', () => add(T(H([], [0])), T(H([1], [1]))), H([], [0])],
    ['[0] + 2', () => add(T(H([], [0])), 2), H([], [0])],
    ['[2,0,3] + [3]', () => add(T(e), T(uniform([3], -1, 1, 'e3'))), H([], [2, 0, 3])],
    ['[2,0,3] * [2,1,3]', () => mul(T(e), T(uniform([2, 1, 3], -1, 1, 'e213'))), H([], [2, 0, 3])],
    ['exp([2,0,3])', () => exp(T(e)), H([], [2, 0, 3])],
    ['where on [2,0,3]', () => where(T(e).gt(0), T(e), 1), H([], [2, 0, 3])],
    ['sum([0]) = 0', () => sum(T(H([], [0]))), H([0], [])],
    ['sum([2,0,3], 1) = zeros', () => sum(T(e), 1), H([0, 0, 0, 0, 0, 0], [2, 3])],
    ['sum([2,0,3], 0)', () => sum(T(e), 0), H([], [0, 3])],
    ['sum([2,0,3]) keepDims', () => sum(T(e), undefined, { keepDims: true }), H([0], [1, 1, 1])],
    ['prod([0]) = 1', () => prod(T(H([], [0]))), H([1], [])],
    ['mean([0]) = NaN', () => mean(T(H([], [0]))), H([Number.NaN], [])],
    ['reshape [2,0,3] → [0,5]', () => T(e).reshape([0, 5]), H([], [0, 5])],
    ['cast [2,0,3] → int32', () => cast(T(e), 'int32'), H([], [2, 0, 3])],
    [
      'permute + contiguous of [2,0,3]',
      () => T(e).permute([2, 0, 1]).contiguous(),
      H([], [3, 2, 0]),
    ],
    // BUG: softmax of an empty tensor (PyTorch returns an empty tensor) throws "max: cannot
    // reduce an empty dimension of [2,0]": ops/softmax.ts skips the optional kernel when
    // x.size === 0 and its fallback calls max() over the empty last axis.
    ['softmax of [2,0]', () => softmax(T(H([], [2, 0]))), H([], [2, 0])],
    ['softmax of [0,3]', () => softmax(T(H([], [0, 3]))), H([], [0, 3])],
    [
      'matmul [3,0]@[0,2] = zeros',
      () => matmul(T(H([], [3, 0])), T(H([], [0, 2]))),
      H([0, 0, 0, 0, 0, 0], [3, 2]),
    ],
  ];
  for (const [label, fn, want] of EMPTY) {
    check(`empty tensors: ${label}`, async () => {
      expectClose(await run1(fn), want, TOL.exact, label);
    });
  }
  check('empty tensors: max of an empty tensor throws naming max', () => {
    expectThrows(() => max(T(H([], [0]))), ['max', '[0]'], 'max of an empty tensor');
  });

  const x = () => T(uniform([2, 3], -1, 1, 'ex'));
  const y = () => T(uniform([4], -1, 1, 'ey'));
  const SHAPE_ERRORS: [string, () => unknown, string[]][] = [
    ...'add sub mul div pow maximum minimum eq ne lt le gt ge'
      .split(' ')
      .map((op): [string, () => unknown, string[]] => [
        `${op} [2,3] ∘ [4]`,
        () => (x() as unknown as Record<string, (o: Tensor) => Tensor>)[op](y()),
        [op, '[2,3]', '[4]'],
      ]),
    [
      'add [2,3,1] + [2,2,4]',
      () => add(x().reshape([2, 3, 1]), T(uniform([2, 2, 4], -1, 1, 'r3'))),
      ['add', '[2,3,1]', '[2,2,4]'],
    ],
    [
      'where [2] / [3]',
      () => where(T(H([1, 0], [2]), 'bool'), T(H([1, 2, 3], [3])), 0),
      ['where', '[2]', '[3]'],
    ],
    [
      'matmul [2,3]@[4,5]',
      () => matmul(x(), T(uniform([4, 5], -1, 1, 'm'))),
      ['matmul', '[2,3]', '[4,5]'],
    ],
    [
      'matmul [4]@[3,5]',
      () => matmul(y(), T(uniform([3, 5], -1, 1, 'm1'))),
      ['matmul', '[4]', '[3,5]'],
    ],
    // BUG: a batch-broadcast failure names only the batch shapes ("matmul: shapes [2] and [3]
    // cannot be broadcast"), not the operands [2,3,4] and [3,4,5]: ops/matmul.ts passes the
    // sliced batch shapes to broadcastShapes.
    [
      'matmul [2,3,4]@[3,4,5] (batch)',
      () => matmul(T(uniform([2, 3, 4], -1, 1, 'mb')), T(uniform([3, 4, 5], -1, 1, 'mb2'))),
      ['matmul', '[2,3,4]', '[3,4,5]'],
    ],
    [
      'concat [2,3] & [3,3] on axis 1',
      () => concat([x(), T(uniform([3, 3], -1, 1, 'c'))], 1),
      ['concat', '[2,3]', '[3,3]'],
    ],
    ['expand [2,3] → [4,3,2]', () => x().expand([4, 3, 2]), ['expand', '[2,3]', '[4,3,2]']],
    ['reshape [2,3] → [4]', () => x().reshape([4]), ['reshape', '[2,3]', '[4]']],
  ];
  for (const [label, fn, parts] of SHAPE_ERRORS) {
    check(`incompatible shapes throw naming the op and both shapes: ${label}`, () => {
      expectThrows(fn, parts, label);
    });
  }
}
