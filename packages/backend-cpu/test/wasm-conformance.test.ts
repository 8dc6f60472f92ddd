/**
 * The whole conformance suite again in each GEMM kernel mode this runtime
 * supports, on one thread and on a pool of three (conformance.test.ts runs it
 * with the defaults: 'auto' and one thread per core), restoring the defaults
 * after.
 */
import { getThreads, setKernelMode, setThreads, threadsReady } from '@nerve/backend-cpu';
import { runConformance } from '@nerve/core/testing';
import { afterAll, beforeAll, describe } from 'vitest';
import { supportedKernelModes } from '../src/wasm/runtime.js';
import { setMinMacsPerThread, setMinPoolMacs } from '../src/wasm/gemm-wasm.js';

// Every product goes to the pool here, however small: these tests are about
// splitting, which production does only above a work threshold.
setMinMacsPerThread(0);
setMinPoolMacs(0);

const defaultThreads = getThreads();

for (const mode of supportedKernelModes()) {
  for (const threads of [1, 3]) {
    describe(`kernel mode ${mode}, ${threads} thread${threads > 1 ? 's' : ''}`, () => {
      beforeAll(async () => {
        setKernelMode(mode);
        setThreads(threads);
        await threadsReady();
      });
      afterAll(() => {
        setKernelMode('auto');
        setThreads(defaultThreads);
      });
      runConformance('cpu');
    });
  }
}
