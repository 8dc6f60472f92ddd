/**
 * Creation functions (zeros/ones/full/*Like, arange, linspace, eye, tensor) and
 * seeded random tensors (reproducibility, Philox reference values, moments, ranges).
 */
import { expect } from 'vitest';
import {
  type DType,
  Generator,
  type Tensor,
  arange,
  eye,
  full,
  fullLike,
  linspace,
  manualSeed,
  ones,
  onesLike,
  rand,
  randint,
  randn,
  tensor,
  zeros,
  zerosLike,
} from '../index.js';
import { TOL, check, expectClose, run, run1 } from './harness.js';
import { type HostArray, host } from './reference.js';

const H = (data: number[], shape: readonly number[]) => host(data, shape);

export function registerCreation(): void {
  check('zeros/ones/full/*Like for every dtype, 0-d and empty shapes', async () => {
    const cases: [string, () => Tensor, HostArray, DType][] = [
      ['zeros [2,3]', () => zeros([2, 3]), H([0, 0, 0, 0, 0, 0], [2, 3]), 'float32'],
      ['zeros int32', () => zeros([2], { dtype: 'int32' }), H([0, 0], [2]), 'int32'],
      ['zeros []', () => zeros([]), H([0], []), 'float32'],
      ['zeros [0,3]', () => zeros([0, 3]), H([], [0, 3]), 'float32'],
      ['ones bool', () => ones([3], { dtype: 'bool' }), H([1, 1, 1], [3]), 'bool'],
      ['ones [2,2]', () => ones([2, 2]), H([1, 1, 1, 1], [2, 2]), 'float32'],
      ['full 3.5', () => full([2, 2], 3.5), H([3.5, 3.5, 3.5, 3.5], [2, 2]), 'float32'],
      [
        'full -Infinity',
        () => full([2], Number.NEGATIVE_INFINITY),
        H([-Infinity, -Infinity], [2]),
        'float32',
      ],
      ['full true', () => full([2], true), H([1, 1], [2]), 'bool'],
      ['full int32 7', () => full([3], 7, { dtype: 'int32' }), H([7, 7, 7], [3]), 'int32'],
      ['fullLike', () => fullLike(zeros([2, 1]), -2), H([-2, -2], [2, 1]), 'float32'],
      [
        'zerosLike int32',
        () => zerosLike(full([2], 5, { dtype: 'int32' })),
        H([0, 0], [2]),
        'int32',
      ],
      ['onesLike', () => onesLike(zeros([1, 2])), H([1, 1], [1, 2]), 'float32'],
    ];
    for (const [label, fn, want, dtype] of cases)
      expectClose(await run1(fn), want, TOL.exact, label, dtype);
  });

  check('arange, linspace, eye, tensor()', async () => {
    const lin = (a: number, b: number, n: number) =>
      H(
        Array.from({ length: n }, (_, i) =>
          i === n - 1 && n > 1 ? b : a + (i * (b - a)) / Math.max(n - 1, 1),
        ),
        [n],
      );
    const eyeRef = (n: number, m: number) =>
      H(
        Array.from({ length: n * m }, (_, k) => (k % m === Math.floor(k / m) ? 1 : 0)),
        [n, m],
      );
    const cases: [string, () => Tensor, HostArray, DType][] = [
      ['arange(5)', () => arange(5), H([0, 1, 2, 3, 4], [5]), 'int32'],
      ['arange(2, 10, 3)', () => arange(2, 10, 3), H([2, 5, 8], [3]), 'int32'],
      ['arange(0, 1, 0.25)', () => arange(0, 1, 0.25), H([0, 0.25, 0.5, 0.75], [4]), 'float32'],
      ['arange(5, 0, -2)', () => arange(5, 0, -2), H([5, 3, 1], [3]), 'int32'],
      ['arange(0)', () => arange(0), H([], [0]), 'int32'],
      [
        'arange float32 dtype',
        () => arange(0, 3, 1, { dtype: 'float32' }),
        H([0, 1, 2], [3]),
        'float32',
      ],
      ['linspace(0, 1, 5)', () => linspace(0, 1, 5), lin(0, 1, 5), 'float32'],
      ['linspace(-1, 2, 7)', () => linspace(-1, 2, 7), lin(-1, 2, 7), 'float32'],
      ['linspace(3, 4, 1)', () => linspace(3, 4, 1), H([3], [1]), 'float32'],
      ['linspace(0, 1, 0)', () => linspace(0, 1, 0), H([], [0]), 'float32'],
      ['eye(3)', () => eye(3), eyeRef(3, 3), 'float32'],
      ['eye(2, 4)', () => eye(2, 4), eyeRef(2, 4), 'float32'],
      ['eye(3, 2) int32', () => eye(3, 2, { dtype: 'int32' }), eyeRef(3, 2), 'int32'],
      [
        'tensor nested',
        () =>
          tensor([
            [1, 2, 3],
            [4, 5, 6],
          ]),
        H([1, 2, 3, 4, 5, 6], [2, 3]),
        'float32',
      ],
      ['tensor scalar', () => tensor(3.5), H([3.5], []), 'float32'],
      ['tensor booleans', () => tensor([true, false, true]), H([1, 0, 1], [3]), 'bool'],
      [
        'tensor Int32Array',
        () => tensor(Int32Array.from([-1, 2]), { shape: [2, 1] }),
        H([-1, 2], [2, 1]),
        'int32',
      ],
      [
        'tensor flat with shape',
        () => tensor([1, 2, 3, 4], { shape: [2, 2], dtype: 'int32' }),
        H([1, 2, 3, 4], [2, 2]),
        'int32',
      ],
    ];
    for (const [label, fn, want, dtype] of cases)
      expectClose(await run1(fn), want, TOL.tight, label, dtype);
  });
}

export function registerRandom(): void {
  const N = 10_000;
  const stats = (v: Float64Array) => {
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    const s = Math.sqrt(v.reduce((a, b) => a + (b - m) * (b - m), 0) / v.length);
    return { m, s, lo: Math.min(...v), hi: Math.max(...v) };
  };
  const same = (a: Float64Array, b: Float64Array) => a.every((v, i) => v === b[i]);
  const equalCount = (a: Float64Array, b: Float64Array) => a.filter((v, i) => v === b[i]).length;

  check(
    'rand: same seed same values (= Philox reference), different seeds differ, mean ≈ 0.5 in [0,1)',
    async () => {
      const [a, b, c] = await run(() => [
        rand([N], { seed: 42 }),
        rand([N], { seed: 42 }),
        rand([N], { seed: 43 }),
      ]);
      expect(same(a.data, b.data), 'rand with one seed twice differs').toBe(true);
      expect(equalCount(a.data, c.data), 'rand with seeds 42 and 43 mostly equal').toBeLessThan(
        N / 100,
      );
      expectClose(
        a,
        host(new Generator(42).uniform(N), [N]),
        TOL.exact,
        'rand vs Generator(42).uniform',
        'float32',
      );
      const { m, lo, hi } = stats(a.data);
      expect(lo, 'rand below 0').toBeGreaterThanOrEqual(0);
      expect(hi, 'rand reaches 1').toBeLessThan(1);
      expect(Math.abs(m - 0.5), `rand mean ${m}`).toBeLessThan(0.02);
      const [r] = await run(() => rand([N], { seed: 7, low: -2, high: 3 }));
      const st = stats(r.data);
      expect(st.lo >= -2 && st.hi < 3, `rand(low -2, high 3) range [${st.lo}, ${st.hi}]`).toBe(
        true,
      );
      expect(Math.abs(st.m - 0.5), `rand(-2, 3) mean ${st.m}`).toBeLessThan(0.1);
    },
  );

  check(
    'randn: same seed same values, mean ≈ 0, std ≈ 1 over 10^4 samples; mean/std options',
    async () => {
      const [a, b, c] = await run(() => [
        randn([100, 100], { seed: 5 }),
        randn([100, 100], { seed: 5 }),
        randn([100, 100], { seed: 6 }),
      ]);
      expect(same(a.data, b.data), 'randn with one seed twice differs').toBe(true);
      expect(equalCount(a.data, c.data), 'randn with seeds 5 and 6 mostly equal').toBeLessThan(
        N / 100,
      );
      expectClose(
        a,
        host(new Generator(5).normal(N), [100, 100]),
        TOL.tight,
        'randn vs Generator(5).normal',
        'float32',
      );
      const { m, s } = stats(a.data);
      expect(Math.abs(m), `randn mean ${m}`).toBeLessThan(0.05);
      expect(Math.abs(s - 1), `randn std ${s}`).toBeLessThan(0.05);
      const [d] = await run(() => randn([N], { seed: 9, mean: 5, std: 2 }));
      const sd = stats(d.data);
      expect(
        Math.abs(sd.m - 5) < 0.1 && Math.abs(sd.s - 2) < 0.1,
        `randn(mean 5, std 2): ${sd.m}, ${sd.s}`,
      ).toBe(true);
    },
  );

  check('randint: int32 values in [low, high), every value drawn, reproducible', async () => {
    const [a, b] = await run(() => [
      randint(-3, 4, [N], { seed: 11 }),
      randint(-3, 4, [N], { seed: 11 }),
    ]);
    expect(a.dtype).toBe('int32');
    expect(same(a.data, b.data), 'randint with one seed twice differs').toBe(true);
    expect(
      a.data.every((v) => Number.isInteger(v) && v >= -3 && v < 4),
      'randint out of [-3, 4)',
    ).toBe(true);
    expect(new Set(a.data).size, 'randint misses values').toBe(7);
    expect(Math.abs(stats(a.data).m), 'randint mean').toBeLessThan(0.1);
  });

  check('manualSeed makes the global stream reproducible; it advances between calls', async () => {
    manualSeed(123);
    const [a, b] = await run(() => [rand([64]), rand([64])]);
    manualSeed(123);
    const [c] = await run(() => rand([64]));
    expect(same(a.data, c.data), 'manualSeed(123) did not restart the stream').toBe(true);
    expect(same(a.data, b.data), 'the global stream did not advance').toBe(false);
  });
}
