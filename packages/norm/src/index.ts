/**
 * @nerve/norm: BatchNorm1d/2d, LayerNorm and GroupNorm for nerve.
 */
export {};
