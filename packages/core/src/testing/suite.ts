/**
 * `runConformance`: registers the whole conformance suite for one backend as
 * vitest `describe`/`it` blocks, one group per area of the Backend contract.
 */
import { beforeAll, describe } from 'vitest';
import { ready, setBackend } from '../index.js';
import { registerBinary } from './cases-binary.js';
import { registerBroadcast } from './cases-broadcast.js';
import { registerConv } from './cases-conv.js';
import { registerCreation, registerRandom } from './cases-creation.js';
import { registerFallbacks } from './cases-fallback.js';
import { registerOptionalKernels } from './cases-optional-kernels.js';
import { registerIndexing } from './cases-indexing.js';
import { registerMatmul } from './cases-matmul.js';
import { registerMemory } from './cases-memory.js';
import { registerNonFinite } from './cases-nonfinite.js';
import { registerReduce } from './cases-reduce.js';
import { registerSelect } from './cases-select.js';
import { registerSoftmax } from './cases-softmax.js';
import { registerUnary } from './cases-unary.js';
import { registerViews } from './cases-views.js';

/** Options of `runConformance`. */
export interface ConformanceOptions {
  /** Run only these groups (keys of CONFORMANCE_GROUPS), e.g. `['unary', 'matmul']`. */
  only?: readonly string[];
}

/**
 * The groups, in order. Every test checks values against a float64 host
 * reference or finite differences, and asserts that it leaves no live tensor behind.
 */
export const CONFORMANCE_GROUPS: Readonly<Record<string, () => void>> = {
  creation: registerCreation,
  random: registerRandom,
  unary: registerUnary,
  binary: registerBinary,
  select: registerSelect,
  reduce: registerReduce,
  softmax: registerSoftmax,
  matmul: registerMatmul,
  conv: registerConv,
  fallback: registerFallbacks,
  optionalKernels: registerOptionalKernels,
  views: registerViews,
  indexing: registerIndexing,
  broadcast: registerBroadcast,
  memory: registerMemory,
  nonfinite: registerNonFinite,
};

/**
 * Registers the conformance suite for the backend registered as
 * `backendName`. Call it at the top level of a vitest test file, after
 * importing the backend package:
 *
 * ```ts
 * import '@nerve/backend-cpu';
 * import { runConformance } from '@nerve/core/testing';
 * runConformance('cpu');
 * ```
 */
export function runConformance(backendName: string, opts: ConformanceOptions = {}): void {
  // 'fused' is the group's old name (deprecated), still accepted.
  const only = opts.only?.map((g) => (g === 'fused' ? 'optionalKernels' : g));
  const unknown = (only ?? []).filter((g) => !(g in CONFORMANCE_GROUPS));
  if (unknown.length > 0) {
    throw new Error(
      `runConformance: unknown groups ${unknown.join(', ')}; expected some of ${Object.keys(CONFORMANCE_GROUPS).join(', ')}`,
    );
  }
  describe(`backend conformance: ${backendName}`, () => {
    beforeAll(async () => {
      await ready(backendName);
      setBackend(backendName);
    });
    for (const [name, register] of Object.entries(CONFORMANCE_GROUPS)) {
      if (only && !only.includes(name)) continue;
      describe(name, register);
    }
  });
}
