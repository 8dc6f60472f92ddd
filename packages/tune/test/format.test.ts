import { describe, expect, it } from 'vitest';
import {
  type StudyResult,
  type TrialRecord,
  choice,
  formatStudy,
  gridSearch,
  logUniform,
  randomSearch,
  runStudy,
  space,
  studyWarnings,
  uniform,
} from '../src/index.js';
import { bowl } from './helpers/curves.js';

function trial(
  id: number,
  config: TrialRecord['config'],
  objective: number,
  status: TrialRecord['status'] = 'completed',
): TrialRecord {
  return {
    id,
    stage: 0,
    config,
    seed: id,
    status,
    history: [{ epoch: 1, metrics: { valLoss: objective } }],
    objective,
    seconds: 0,
  };
}

function result(
  sp: StudyResult['space'],
  trials: TrialRecord[],
  best: TrialRecord | null,
): StudyResult {
  return {
    trials,
    best,
    metric: 'valLoss',
    mode: 'min',
    seed: 0,
    space: sp,
    searcher: randomSearch({ trials: trials.length }),
    stages: [{ stage: 0, firstId: 0, trials: trials.length, ranges: sp.ranges() }],
    resumed: 0,
  };
}

describe('formatStudy and warnings', () => {
  it('warns when the best value sits at the edge of its range, in log space for log parameters', () => {
    const sp = space({ lr: logUniform(1e-4, 1), x: uniform(0, 10) });
    const many = Array.from({ length: 20 }, (_, i) => trial(i + 1, { lr: 1e-2, x: 5 }, 2));
    // 0.05 is within the lowest 10% of [1e-4, 1] on a linear scale, but at 67% on the log scale.
    const middle = trial(0, { lr: 0.05, x: 5 }, 1);
    expect(studyWarnings(result(sp, [middle, ...many], middle))).toEqual([]);
    const high = trial(0, { lr: 0.5, x: 5 }, 1);
    const w = studyWarnings(result(sp, [high, ...many], high));
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(
      /best lr = 0\.5 is in the highest 10% of its range \[1e-4, 1\] \(log scale\).*widen the range upward/,
    );
    const low = trial(0, { lr: 1e-2, x: 0.9 }, 1);
    expect(studyWarnings(result(sp, [low, ...many], low))[0]).toMatch(
      /best x = 0\.9 is in the lowest 10%.*widen the range downward/,
    );
    // 1.1 is 11% into the range: no warning.
    const inside = trial(0, { lr: 1e-2, x: 1.1 }, 1);
    expect(studyWarnings(result(sp, [inside, ...many], inside))).toEqual([]);
  });

  it('warns on a real study whose range stops short of the optimum', async () => {
    // The bowl's optimum is lr = 1e-2, above this range: the best trial crowds the top edge.
    const r = await runStudy({
      space: space({ lr: logUniform(1e-6, 5e-3) }),
      objective: bowl,
      searcher: randomSearch({ trials: 10 }),
    });
    expect(studyWarnings(r).join('\n')).toMatch(/best lr = .* highest 10%.*widen the range upward/);
  });

  it('warns when every trial failed or gave NaN, and when trials are too few', async () => {
    const failed = await runStudy({
      space: space({ lr: logUniform(1, 10) }),
      objective: async (_c, r) => void (await r.report(1, { valLoss: Number.NaN })),
      searcher: randomSearch({ trials: 5 }),
    });
    const w = studyWarnings(failed);
    expect(w[0]).toMatch(/every trial failed or gave a non-finite valLoss/);
    expect(failed.best).toBeNull();
    const text = formatStudy(failed);
    expect(text).toMatch(/best: none/);
    expect(text).not.toMatch(/NaN/);
    const few = await runStudy({
      space: space({ lr: logUniform(1e-4, 1), x: uniform(0, 1) }),
      objective: bowl,
      searcher: randomSearch({ trials: 3 }),
    });
    expect(studyWarnings(few).join('\n')).toMatch(
      /only 3 useful trials for 2 searched parameters.*at least 10/,
    );
    // A grid is exhaustive by construction: no count warning.
    const grid = await runStudy({
      space: space({ lr: logUniform(1e-3, 1e-1, { steps: 3 }) }),
      objective: bowl,
      searcher: gridSearch(),
    });
    expect(studyWarnings(grid).join('\n')).not.toMatch(/useful trials/);
  });

  it('sorts the table by objective: finished, then pruned, then failed', () => {
    const sp = space({ lr: logUniform(1e-4, 1), opt: choice(['sgd', 'adam']) });
    const trials = [
      trial(0, { lr: 0.01, opt: 'sgd' }, 0.5),
      trial(1, { lr: 0.02, opt: 'adam' }, Number.NaN, 'failed'),
      trial(2, { lr: 0.03, opt: 'sgd' }, 0.1, 'pruned'),
      trial(3, { lr: 0.04, opt: 'adam' }, 0.3, 'stopped'),
    ];
    const text = formatStudy(result(sp, trials, trials[3]));
    const rows = text.split('\n').filter((l) => /^\d+\s/.test(l));
    expect(rows.map((l) => Number(l.split(/\s+/)[1]))).toEqual([3, 0, 2, 1]);
    expect(rows[0]).toMatch(/^1\s+3\s+stopped\s+0\.3\s+1\s+0\.04\s+adam$/);
    expect(text).toMatch(/best: trial 3, valLoss 0\.3: lr=0\.04 opt=adam/);
    expect(text).not.toMatch(/NaN/);
  });
});
