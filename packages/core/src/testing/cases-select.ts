/**
 * Selection and conversion: where (broadcast, JS numbers, int32 branches),
 * clamp, and cast between every pair of dtypes; forward values and gradients.
 */
import { type DType, cast, clamp, where } from '../index.js';
import {
  TOL,
  T,
  check,
  choice,
  expectClose,
  expectGrad,
  integers,
  run1,
  uniform,
} from './harness.js';
import { type HostArray, host, map1, mapN } from './reference.js';

export function registerSelect(): void {
  check('where: forward with broadcasting, JS numbers and int32 branches', async () => {
    const cond = choice([2, 3], [0, 1], 'where cond');
    const a = uniform([2, 3], -2, 2, 'where a');
    const b = uniform([3], -2, 2, 'where b');
    const pick = (c: number, x: number, y: number) => (c ? x : y);
    expectClose(
      await run1(() => where(T(cond, 'bool'), T(a), T(b))),
      mapN([cond, a, b], pick),
      TOL.exact,
      'where [2,3] [2,3] [3]',
      'float32',
    );
    const c1 = choice([3], [0, 1], 'where cond1');
    const a1 = uniform([2, 1], -2, 2, 'where a1');
    expectClose(
      await run1(() => where(T(c1, 'bool'), T(a1), -7)),
      mapN([c1, a1, host([-7], [])], pick),
      TOL.exact,
      'where [3] [2,1] scalar',
      'float32',
    );
    expectClose(
      await run1(() => where(T(cond, 'bool'), 1, 0)),
      cond,
      TOL.exact,
      'where(c, 1, 0)',
      'float32',
    );
    const ia = integers([2, 3], -5, 5, 'where ia');
    expectClose(
      await run1(() => where(T(cond, 'bool'), T(ia, 'int32'), 3)),
      mapN([cond, ia, host([3], [])], pick),
      TOL.exact,
      'where int32',
      'int32',
    );
  });

  check('where: gradient to both branches (broadcast branch summed)', async () => {
    const cond = { h: choice([2, 3], [0, 1], 'gw cond'), dtype: 'bool' as const };
    await expectGrad('where', (c, x, y) => where(c, x, y), [
      cond,
      uniform([2, 3], -2, 2, 'gw a'),
      uniform([3], -2, 2, 'gw b'),
    ]);
    await expectGrad('where with a scalar branch', (c, x) => where(c, 0.5, x), [
      cond,
      uniform([2, 3], -2, 2, 'gw c'),
    ]);
    const cond13 = { h: choice([1, 3], [0, 1], 'gw cond13'), dtype: 'bool' as const };
    await expectGrad('where with a broadcast condition', (c, x, y) => where(c, x, y), [
      cond13,
      uniform([2, 1], -2, 2, 'gw d'),
      uniform([2, 3], -2, 2, 'gw e'),
    ]);
  });

  check('clamp: forward for min/max, min only, max only, int32', async () => {
    const x = uniform([3, 4], -3, 3, 'clamp x');
    const cases: [number | undefined, number | undefined][] = [
      [-1, 1],
      [-0.5, undefined],
      [undefined, 0.5],
      [0.25, 0.25],
    ];
    for (const [lo, hi] of cases) {
      const want = map1(x, (v) => Math.min(Math.max(v, lo ?? -Infinity), hi ?? Infinity));
      expectClose(
        await run1(() => clamp(T(x), lo, hi)),
        want,
        TOL.exact,
        `clamp(${lo}, ${hi})`,
        'float32',
      );
    }
    const xi = integers([3, 4], -5, 6, 'clamp int');
    expectClose(
      await run1(() => clamp(T(xi, 'int32'), -2, 3)),
      map1(xi, (v) => Math.min(Math.max(v, -2), 3)),
      TOL.exact,
      'clamp int32',
      'int32',
    );
  });

  check('clamp: gradient passes inside the bounds only', async () => {
    const avoid = (v: number) => Math.abs(v + 1) < 0.05 || Math.abs(v - 1) < 0.05;
    await expectGrad('clamp(-1, 1)', (x) => clamp(x, -1, 1), [
      uniform([3, 4], -3, 3, 'g clamp', avoid),
    ]);
    await expectGrad('clamp(min -1)', (x) => clamp(x, -1), [
      uniform([3, 4], -3, 3, 'g clamp lo', avoid),
    ]);
    await expectGrad('clamp(max 1)', (x) => clamp(x, undefined, 1), [
      uniform([3, 4], -3, 3, 'g clamp hi', avoid),
    ]);
  });

  check('cast between every pair of dtypes (float→int truncates, →bool is x ≠ 0)', async () => {
    const values: Record<DType, HostArray> = {
      float32: host(
        [-2.7, -1.5, -0.5, -0, 0, 0.3, 1.5, 2.9, 100.25, -7, 1e-3, 1e6].map(Math.fround),
        [3, 4],
      ),
      int32: host([-3, -1, 0, 1, 2, 7, 0, 100, -100, 5, 6, 2147483647], [3, 4]),
      bool: host([1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1], [3, 4]),
    };
    const convert: Record<DType, (v: number) => number> = {
      float32: (v) => v,
      int32: (v) => Math.trunc(v),
      bool: (v) => (v !== 0 ? 1 : 0),
    };
    for (const from of ['float32', 'int32', 'bool'] as const) {
      for (const to of ['float32', 'int32', 'bool'] as const) {
        const x = values[from];
        const want = map1(x, convert[to]);
        expectClose(
          await run1(() => cast(T(x, from), to)),
          want,
          TOL.exact,
          `cast ${from}→${to}`,
          to,
        );
        const wantT = host(
          Array.from({ length: 12 }, (_, k) => want.data[(k % 3) * 4 + Math.floor(k / 3)]),
          [4, 3],
        );
        expectClose(
          await run1(() => cast(T(x, from).mT, to)),
          wantT,
          TOL.exact,
          `cast ${from}→${to} (transposed view)`,
          to,
        );
      }
    }
  });
}
