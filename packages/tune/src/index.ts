/**
 * @nerve/tune: hyperparameter search done the way a practitioner would:
 * search spaces with log-scaled ranges and conditional parameters, random,
 * grid and coarse-to-fine search, ASHA and patience stopping, parallel trials
 * on worker threads, resumable study files, k-fold cross-validation, a study
 * report with warnings, and the learning-rate range test.
 */
export {
  type Value,
  type Param,
  type BaseParam,
  type NumericParam,
  type UniformParam,
  type LogUniformParam,
  type IntUniformParam,
  type ChoiceParam,
  type ConditionalParam,
  type ParamValue,
  type RangeOptions,
  uniform,
  logUniform,
  intUniform,
  choice,
  conditional,
} from './params.js';
export {
  Space,
  space,
  trialSeed,
  canonicalJson,
  type Config,
  type ConfigOf,
  type RangeSummary,
} from './space.js';
export {
  randomSearch,
  gridSearch,
  coarseToFine,
  narrowSpace,
  type Searcher,
  type RandomSearch,
  type GridSearch,
  type CoarseToFine,
} from './searchers.js';
export {
  asha,
  patience,
  rungsBetween,
  Arbiter,
  type Pruner,
  type AshaPruner,
  type PatiencePruner,
  type Decision,
} from './pruning.js';
export type {
  Objective,
  Reporter,
  Metrics,
  EpochReport,
  TrialRecord,
  TrialStatus,
} from './trial.js';
export type { ObjectiveRef } from './pool.js';
export {
  runStudy,
  type StudyOptions,
  type StudyResult,
  type StageSummary,
} from './study.js';
export { readStudyFile, type StudyHeader, type StudyFileContents } from './study-file.js';
export { rankTrials, bestTrial } from './ranking.js';
export {
  formatStudy,
  studyWarnings,
  formatNumber,
  EDGE_FRACTION,
  TRIALS_PER_PARAMETER,
} from './format.js';
export {
  crossValidate,
  type CrossValidateOptions,
  type CrossValidateResult,
} from './cross-validate.js';
export { lrFind, suggest as suggestLr, type LrFindOptions, type LrFindResult } from './lr-find.js';
export { reportingCallback, epochMetrics } from './callback.js';
