import '@nerve/backend-cpu';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type StudyResult,
  asha,
  choice,
  gridSearch,
  logUniform,
  randomSearch,
  runStudy,
  space,
} from '../src/index.js';
import { CURVES } from './helpers/curves.js';

/** Trials without their wall times, which differ from run to run. */
const comparable = (r: StudyResult) => r.trials.map(({ seconds, ...t }) => t);

describe('parallel trials on worker threads', () => {
  it('gives the same ASHA decisions and results with 2 workers as in-process', async () => {
    const curves = {
      module: fileURLToPath(new URL('./helpers/curves.ts', import.meta.url)),
      exportName: 'knownCurves',
    };
    const opts = {
      space: space({ curve: choice(CURVES.map((_, i) => i)) }),
      objective: curves,
      searcher: gridSearch(),
      pruners: asha({ minEpochs: 1, reductionFactor: 2, maxEpochs: 8 }),
    };
    // Earlier trials sleep longer, so later ones reach each rung first and must wait.
    process.env.TUNE_TEST_CURVE_SLEEP = '3';
    try {
      const serial = await runStudy({ ...opts, workers: 1 });
      const parallel = await runStudy({ ...opts, workers: 2 });
      expect(comparable(parallel)).toEqual(comparable(serial));
      expect(serial.trials.map((t) => t.status)).toEqual([
        'completed',
        'pruned',
        'pruned',
        'completed',
        'pruned',
        'completed',
      ]);
    } finally {
      delete process.env.TUNE_TEST_CURVE_SLEEP;
    }
  });

  it('imports the backend module the caller names in each worker, and sets it to 1 thread', async () => {
    const opts = {
      space: space({ k: choice([0, 1]) }),
      objective: {
        module: fileURLToPath(new URL('./helpers/curves.ts', import.meta.url)),
        exportName: 'backendSeen',
      },
      searcher: gridSearch(),
      workers: 2,
    };
    const named = await runStudy({
      ...opts,
      backendModule: fileURLToPath(new URL('./helpers/fake-backend.ts', import.meta.url)),
    });
    expect(named.trials.map((t) => t.objective)).toEqual([1, 1]);
    // Without one, a worker imports no backend of its own: tune depends on none.
    const none = await runStudy(opts);
    expect(none.trials.map((t) => t.objective)).toEqual([-2, -2]);
  });

  it('refuses a backendModule that is not an absolute path or file URL', async () => {
    await expect(
      runStudy({
        space: space({ k: choice([0]) }),
        objective: {
          module: fileURLToPath(new URL('./helpers/curves.ts', import.meta.url)),
          exportName: 'backendSeen',
        },
        searcher: gridSearch(),
        workers: 2,
        backendModule: '@nerve/backend-cpu',
      }),
    ).rejects.toThrow(
      /runStudy: expected backendModule an absolute path or a file URL .*received @nerve\/backend-cpu/,
    );
  });

  it('fails only the trial whose worker died, and carries on with a fresh worker', async () => {
    const r = await runStudy({
      space: space({ k: choice([0, 1, 2, 3]) }),
      objective: {
        module: fileURLToPath(new URL('./helpers/curves.ts', import.meta.url)),
        exportName: 'crashOnOne',
      },
      searcher: gridSearch(),
      workers: 2,
    });
    expect(r.trials.map((t) => t.status)).toEqual([
      'completed',
      'failed',
      'completed',
      'completed',
    ]);
    expect(r.trials[1].reason).toMatch(/exited with code 3/);
  });

  it('refuses a plain function with workers > 1, and reports a module that does not load', async () => {
    const sp = space({ lr: logUniform(1e-3, 1e-1) });
    await expect(
      runStudy({
        space: sp,
        objective: () => 1,
        searcher: randomSearch({ trials: 2 }),
        workers: 2,
      }),
    ).rejects.toThrow(/module, exportName/);
    await expect(
      runStudy({
        space: sp,
        objective: {
          module: fileURLToPath(new URL('./helpers/curves.ts', import.meta.url)),
          exportName: 'nope',
        },
        searcher: randomSearch({ trials: 2 }),
        workers: 2,
      }),
    ).rejects.toThrow(/no function export 'nope'/);
  });
});

describe('fixed arguments of an objective module (ObjectiveRef.args)', () => {
  const ref = (args: unknown) => ({
    module: fileURLToPath(new URL('./helpers/curves.ts', import.meta.url)),
    exportName: 'scaledByArgs',
    args,
  });

  it('reach the objective as its third argument, in-process and on workers alike', async () => {
    for (const workers of [1, 2]) {
      const r = await runStudy({
        space: space({ k: choice([1, 2, 3]) }),
        objective: ref({ scale: 10 }),
        searcher: gridSearch(),
        workers,
        mode: 'max',
      });
      expect(r.trials.map((t) => t.objective).sort()).toEqual([10, 20, 30]);
    }
  });

  it('are refused, naming runStudy, when they cannot be copied to a worker', async () => {
    for (const workers of [1, 2]) {
      await expect(
        runStudy({
          space: space({ k: choice([1]) }),
          objective: ref({ f: () => 1 }),
          searcher: gridSearch(),
          workers,
        }),
      ).rejects.toThrow(/runStudy: expected objective.args plain data/);
    }
  });
});
