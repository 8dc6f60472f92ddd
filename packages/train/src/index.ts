/**
 * @nerve/train: the fit/evaluate loop, callbacks (progress, early stopping,
 * checkpoints, NaN guard, a CSV/JSON Lines metrics logger) and checkpoint files.
 *
 * @module @nerve/train
 */
export * from './callbacks.js';
export * from './checkpoint.js';
export * from './fit.js';
export * from './metrics-logger.js';
export * from './progress.js';
export * from './transfer.js';
export * from './transfer-features.js';
export * from './transfer-io.js';
export * from './transfer-unfreeze.js';
