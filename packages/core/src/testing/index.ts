/**
 * @nerve/core/testing — the backend conformance suite and the float64 host
 * references it checks against. A backend package runs it with:
 *
 * ```ts
 * import '@nerve/backend-cpu';
 * import { runConformance } from '@nerve/core/testing';
 * runConformance('cpu');
 * ```
 *
 * vitest is a peer dependency of this entry point only.
 *
 * @module @nerve/core/testing
 */
export { CONFORMANCE_GROUPS, type ConformanceOptions, runConformance } from './suite.js';
export * from './reference.js';
export * from './reference-nn.js';
export * from './reference-optional-kernels.js';
export {
  type GradInput,
  type Out,
  type Tol,
  TOL,
  T,
  check,
  choice,
  distinct,
  expectClose,
  expectGrad,
  expectThrows,
  integers,
  rng,
  run,
  run1,
  uniform,
} from './harness.js';
