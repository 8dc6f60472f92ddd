/**
 * @nerve/init: weight initializers for nerve — Xavier/Glorot, He/Kaiming,
 * LeCun, orthogonal, truncated normal and small random numbers — with
 * PyTorch's fan and gain rules.
 *
 * @module @nerve/init
 */
export { type Nonlinearity, calculateGain, computeFans } from './fans.js';
export type { InitOptions } from './host-random.js';
export {
  type HeOptions,
  type Initializer,
  constant,
  heNormal,
  heUniform,
  lecunNormal,
  normal,
  ones,
  smallRandom,
  truncatedNormal,
  uniform,
  xavierNormal,
  xavierUniform,
  zeros,
} from './initializers.js';
export { orthogonal } from './orthogonal.js';
export { INITIALIZER_NAMES, getInitializer } from './registry.js';
