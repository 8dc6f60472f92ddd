/** Test helpers: the one PyTorch tolerance and fixture loading. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Tensor, tensor } from '@nerve/core';
import { expect } from 'vitest';

export const ATOL = 1e-6;
export const RTOL = 1e-5;

export interface Recorded {
  shape: number[];
  data: number[];
}

/** Asserts |a − b| ≤ atol + rtol·|b| elementwise, naming the worst element. */
export function expectClose(actual: Tensor | ArrayLike<number>, expected: number[], label: string) {
  const a = 'isTensor' in actual ? Array.from(actual.dataSync()) : Array.from(actual);
  expect(a.length, `${label}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const excess = Math.abs(a[i] - expected[i]) - (ATOL + RTOL * Math.abs(expected[i]));
    if (!(excess <= worstExcess)) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Number.POSITIVE_INFINITY : excess;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${label}: element ${worst} is ${a[worst]}, expected ${expected[worst]} (beyond tolerance by ${worstExcess})`,
    );
  }
}

export function fromRecord(r: Recorded, requiresGrad = false): Tensor {
  return tensor(r.data, { shape: r.shape, requiresGrad });
}

const here = dirname(fileURLToPath(import.meta.url));

export function loadFixtures<T>(): T {
  return JSON.parse(readFileSync(join(here, 'fixtures', 'norm.json'), 'utf8')) as T;
}
