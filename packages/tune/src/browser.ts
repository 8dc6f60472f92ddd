/**
 * @nerve/tune for browsers and bundlers: search spaces, searchers, pruners,
 * ranking, the study report, cross-validation and the learning-rate range
 * test. runStudy and readStudyFile (worker threads, study files) are Node-only
 * and come from the Node entry (index.ts), which re-exports everything here;
 * package.json's `browser` condition picks this file.
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
