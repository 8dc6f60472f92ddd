/**
 * The objective `nerve tune` searches (src/demos/train-trial.ts; by default the digits MLP) on
 * tune's worker threads: the CLI names the backend module the workers load,
 * and a trial gives the same result on a worker as in-process.
 */
import '@nerve/backend-cpu';
import { memory } from '@nerve/core';
import {
  type StudyResult,
  choice,
  intUniform,
  logUniform,
  randomSearch,
  runStudy,
  space,
} from '@nerve/tune';
import { describe, expect, it } from 'vitest';
import { trainTrial, trainTrialObjective } from '../src/demos/train-trial.js';

/** Trials without their wall times, which differ from run to run. */
const comparable = (r: StudyResult) => r.trials.map(({ seconds, ...t }) => t);

describe('the digits MLP objective of nerve tune', () => {
  it('trains the digits MLP identically with 1 and 2 workers', async () => {
    const opts = {
      space: space({ lr: logUniform(1e-3, 3e-2), hidden: intUniform(16, 64), epochs: choice([2]) }),
      objective: trainTrialObjective,
      searcher: randomSearch({ trials: 4 }),
      seed: 5,
      // What `nerve tune --workers N` passes: the demo module registers the backend.
      backendModule: trainTrialObjective.module,
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

  it("serves as the workers' backend module: it registers the CPU backend and exports setThreads", async () => {
    const mod = (await import(trainTrialObjective.module)) as Record<string, unknown>;
    expect(typeof mod.setThreads).toBe('function');
    expect(typeof mod.trainTrial).toBe('function');
  });

  it('keeps memory flat across trials run in-process', async () => {
    const counts: number[] = [];
    const before = memory().numTensors;
    await runStudy({
      space: space({ lr: logUniform(1e-3, 1e-2), hidden: choice([16]), epochs: choice([1]) }),
      objective: trainTrial,
      searcher: randomSearch({ trials: 3 }),
      onTrialEnd: () => counts.push(memory().numTensors),
    });
    expect(counts).toEqual([before, before, before]);
  });
});
