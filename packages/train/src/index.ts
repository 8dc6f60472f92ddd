/**
 * @nerve/train: the fit/evaluate loop, callbacks (progress, early stopping,
 * checkpoints, NaN guard) and checkpoint files.
 */
export * from './callbacks.js';
export * from './checkpoint.js';
export * from './fit.js';
export * from './progress.js';
