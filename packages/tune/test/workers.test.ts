import '@nerve/backend-cpu';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type StudyResult,
  asha,
  choice,
  gridSearch,
  intUniform,
  logUniform,
  randomSearch,
  runStudy,
  space,
} from '../src/index.js';
import { digitsMlpObjective } from '../src/objectives/digits-mlp.js';
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

  it('trains the digits MLP identically with 1 and 2 workers', async () => {
    const opts = {
      space: space({ lr: logUniform(1e-3, 3e-2), hidden: intUniform(16, 64), epochs: choice([2]) }),
      objective: digitsMlpObjective,
      searcher: randomSearch({ trials: 4 }),
      seed: 5,
    };
    const serial = await runStudy({ ...opts, workers: 1 });
    const parallel = await runStudy({ ...opts, workers: 2 });
    expect(comparable(parallel)).toEqual(comparable(serial));
    for (const t of serial.trials) {
      expect(t.status).toBe('completed');
      expect(t.history).toHaveLength(2);
      expect(t.history[1].metrics.valAccuracy).toBeGreaterThan(0.5);
    }
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
