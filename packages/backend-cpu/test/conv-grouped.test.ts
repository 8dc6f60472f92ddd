/**
 * Grouped convolutions reach the CPU backend as one kernel call per
 * direction (issues 14 and 16), not one conv2d per group; hiding the grouped
 * kernels brings back the per-group path. Values are checked by the
 * conformance suite (cases-conv.ts); this file checks the dispatch.
 */
import '@nerve/backend-cpu';
import {
  conv2d,
  getBackend,
  ready,
  setBackend,
  sum,
  tensor,
  tidy,
  withoutOptionalKernels,
} from '@nerve/core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { randomF32 } from './helpers.js';

const KERNELS = [
  'conv2d',
  'conv2dBackwardInput',
  'conv2dBackwardFilter',
  'groupedConv2d',
  'groupedConv2dBackwardInput',
  'groupedConv2dBackwardFilter',
] as const;

/** Calls of each conv kernel while `fn` runs. */
function countCalls(fn: () => void): Record<string, number> {
  const backend = getBackend('cpu') as unknown as Record<string, (...args: unknown[]) => unknown>;
  const spies = KERNELS.map((k) => vi.spyOn(backend, k));
  try {
    fn();
    return Object.fromEntries(KERNELS.map((k, i) => [k, spies[i].mock.calls.length]));
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

/** Forward and backward of a depthwise (groups = C = 8, multiplier 2) convolution. */
function step(): void {
  tidy(() => {
    const x = tensor(randomF32(2 * 8 * 6 * 6, 1), { shape: [2, 8, 6, 6] });
    const w = tensor(randomF32(16 * 3 * 3, 2), { shape: [16, 1, 3, 3] });
    x.requiresGrad = true;
    w.requiresGrad = true;
    sum(conv2d(x, w, { stride: 2, padding: 1, groups: 8 })).backward();
  });
}

describe('grouped conv2d dispatch on the cpu backend', () => {
  beforeAll(async () => {
    await ready('cpu');
    setBackend('cpu');
  });

  it('runs one grouped kernel call per direction and no per-group conv2d', () => {
    expect(countCalls(step)).toEqual({
      conv2d: 0,
      conv2dBackwardInput: 0,
      conv2dBackwardFilter: 0,
      groupedConv2d: 1,
      groupedConv2dBackwardInput: 1,
      groupedConv2dBackwardFilter: 1,
    });
  });

  it('falls back to one conv2d per group when the grouped kernels are hidden', () => {
    const hidden = [
      'groupedConv2d',
      'groupedConv2dBackwardInput',
      'groupedConv2dBackwardFilter',
    ] as const;
    const calls = countCalls(() => withoutOptionalKernels(step, hidden));
    // 8 groups: one forward, one input-gradient and one filter-gradient call each.
    expect(calls).toEqual({
      conv2d: 8,
      conv2dBackwardInput: 8,
      conv2dBackwardFilter: 8,
      groupedConv2d: 0,
      groupedConv2dBackwardInput: 0,
      groupedConv2dBackwardFilter: 0,
    });
  });
});
