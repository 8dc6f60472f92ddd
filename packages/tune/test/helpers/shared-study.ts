/**
 * The study the shared-storage tests split between worker processes: random
 * trials of the bowl with ASHA (rungs at epochs 1 and 2, top half continues)
 * and patience, so rung decisions cross processes.
 */
import {
  type StudyOptions,
  type StudyWorkerOptions,
  asha,
  patience,
  randomSearch,
} from '../../src/index.js';
import { bowl } from './curves.js';
import { resumeSpace } from './resume-study.js';

/** The serial run's options (runStudy, one process, no storage). */
export function sharedStudyOptions(trials: number): StudyOptions {
  return {
    space: resumeSpace(),
    objective: bowl as StudyOptions['objective'],
    searcher: randomSearch({ trials }),
    seed: 5,
    pruners: [asha({ minEpochs: 1, reductionFactor: 2 }), patience({ patience: 2 })],
  };
}

/** The same study for runStudyWorker. */
export function sharedWorkerOptions(
  trials: number,
  storage: string,
  study: string,
): StudyWorkerOptions {
  const { space, objective, seed, pruners } = sharedStudyOptions(trials);
  return {
    space,
    objective: objective as StudyWorkerOptions['objective'],
    searcher: randomSearch({ trials }),
    seed,
    pruners,
    storage,
    study,
  };
}
