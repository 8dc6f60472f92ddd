/** The study the resume tests interrupt and resume: 8 random trials of the bowl. */
import {
  type StudyOptions,
  choice,
  conditional,
  logUniform,
  patience,
  randomSearch,
  space,
  uniform,
} from '../../src/index.js';
import { bowl } from './curves.js';

export const RESUME_TRIALS = 8;

export function resumeSpace() {
  return space({
    lr: logUniform(1e-4, 1),
    x: uniform(0, 1),
    opt: choice(['sgd', 'adam']),
    momentum: conditional('opt', 'sgd', uniform(0.5, 0.99)),
  });
}

export function studyOptions(): StudyOptions {
  return {
    space: resumeSpace(),
    objective: bowl as StudyOptions['objective'],
    searcher: randomSearch({ trials: RESUME_TRIALS }),
    seed: 11,
    pruners: patience({ patience: 2 }),
  };
}
