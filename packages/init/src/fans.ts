/**
 * Fan-in/fan-out and recommended gains, exactly as PyTorch's torch.nn.init
 * computes them, so that initializers give the same scales.
 */
import { NerveError } from '@nerve/core';

/** The nonlinearities `calculateGain` knows (PyTorch's names, camelCased). */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'convTranspose1d'
  | 'convTranspose2d'
  | 'convTranspose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leakyRelu'
  | 'selu';

const IDENTITY_GAIN = new Set<string>([
  'linear',
  'conv1d',
  'conv2d',
  'conv3d',
  'convTranspose1d',
  'convTranspose2d',
  'convTranspose3d',
  'sigmoid',
]);

const ALL: readonly Nonlinearity[] = [
  'linear',
  'conv1d',
  'conv2d',
  'conv3d',
  'convTranspose1d',
  'convTranspose2d',
  'convTranspose3d',
  'sigmoid',
  'tanh',
  'relu',
  'leakyRelu',
  'selu',
];

/**
 * The gain that keeps activations' variance stable through `nonlinearity`
 * (PyTorch's `calculate_gain`): 1 for linear/conv/sigmoid, 5/3 for tanh,
 * √2 for relu, √(2/(1+a²)) for leakyRelu with slope `param` (default 0.01;
 * He et al. 2015) and 3/4 for selu.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  if (IDENTITY_GAIN.has(nonlinearity)) return 1;
  switch (nonlinearity) {
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) {
        throw new NerveError('calculateGain', 'a finite negative slope', String(param));
      }
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      // PyTorch's choice, made for self-normalising networks (SELU paper's setup).
      return 3 / 4;
    default:
      throw new NerveError(
        'calculateGain',
        `one of ${ALL.map((n) => `'${n}'`).join(', ')}`,
        JSON.stringify(nonlinearity),
      );
  }
}

/**
 * Fan-in and fan-out of a weight of `shape` (PyTorch's rule): dimension 1
 * and dimension 0, each times the receptive field (the product of the
 * remaining dimensions), so a conv weight [O, C, KH, KW] has fanIn C·KH·KW
 * and fanOut O·KH·KW.
 */
export function computeFans(shape: readonly number[]): {
  /** Inputs feeding each output unit. */
  fanIn: number;
  /** Outputs each input unit feeds. */
  fanOut: number;
} {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new NerveError('computeFans', 'a shape of non-negative integers', String(shape));
  }
  if (shape.length < 2) {
    throw new NerveError(
      'computeFans',
      'a shape with at least 2 dimensions (fans are undefined for vectors)',
      `[${shape.join(',')}]`,
    );
  }
  let receptive = 1;
  for (const d of shape.slice(2)) receptive *= d;
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}
