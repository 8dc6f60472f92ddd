/**
 * @nerve/norm: BatchNorm1d/2d, LayerNorm and GroupNorm for nerve.
 *
 * @module @nerve/norm
 */
export { BatchNorm1d, BatchNorm2d, BatchNormBase, type BatchNormOptions } from './batchnorm.js';
export { LayerNorm, type LayerNormOptions } from './layernorm.js';
export { GroupNorm, type GroupNormOptions } from './groupnorm.js';
