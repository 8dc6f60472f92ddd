/**
 * @nerve/metrics: metrics and training monitors (the babysitting toolkit).
 * Metrics are async and accept tensors or host arrays; monitors hook into a
 * model and an optimizer and report numbers per epoch; `diagnose` reads a
 * training history and names what went wrong.
 *
 * @module @nerve/metrics
 */
export type { EpochRecord, Finding, ModuleLike, Monitor, OptimizerLike } from './types.js';
export type { LabelsOrScores, Scores } from './inputs.js';
export {
  type PrecisionRecallF1,
  accuracy,
  topKAccuracy,
  confusionMatrix,
  precisionRecallF1,
  precisionRecallF1FromConfusion,
} from './classification.js';
export { RunningMean } from './running-mean.js';
export { UpdateRatioMonitor, type UpdateRatioMonitorOptions } from './update-ratio.js';
export { GradNormMonitor, type GradNormMonitorOptions } from './grad-norm.js';
export { ActivationMonitor, type ActivationMonitorOptions } from './activation.js';
export {
  type ActivationSummary,
  RELU_FAMILY,
  SATURATING,
  SATURATION_MARGIN,
} from './layer-stats.js';
export { LossHistoryMonitor } from './loss-history.js';
export { DIAGNOSE_DEFAULTS, type DiagnoseOptions, OVERRULES, diagnose } from './diagnose.js';
