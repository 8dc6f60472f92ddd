/**
 * Runs an op on the backend's kernel path and inside withoutOptionalKernels, and
 * checks both against a float64 reference and each other.
 */
import { type Tensor, noGrad, withoutOptionalKernels } from '../index.js';
import { type Out, type Tol, expectAgree, expectClose, run } from './harness.js';
import type { HostArray } from './reference.js';

/** Runs `fn` on the kernel path and on the fallback path. */
export async function bothPaths(fn: () => Tensor[]): Promise<[Out[], Out[]]> {
  const kernelOut = await run(() => noGrad(fn));
  const fallbackOut = await run(() => noGrad(() => withoutOptionalKernels(fn)));
  return [kernelOut, fallbackOut];
}

export function expectBoth(
  [f, b]: [Out[], Out[]],
  want: readonly (HostArray | null)[],
  tol: Tol,
  label: string,
): void {
  want.forEach((w, i) => {
    if (w === null) return;
    expectClose(f[i], w, tol, `${label} output ${i} (kernel path)`, 'float32');
    expectClose(b[i], w, tol, `${label} output ${i} (fallback path)`, 'float32');
    expectAgree(b[i], f[i], tol, `${label} output ${i}: fallback vs kernel`);
  });
}
