/**
 * Activation modules by name, for configuration files and command lines.
 */
import { NerveError } from '@nerve/core';
import {
  type Activation,
  ELU,
  GELU,
  Identity,
  LeakyReLU,
  PReLU,
  ReLU,
  SELU,
  SiLU,
  Sigmoid,
  Softplus,
  Tanh,
} from './activations.js';

const BUILDERS: Record<string, () => Activation> = {
  identity: () => new Identity(),
  sigmoid: () => new Sigmoid(),
  tanh: () => new Tanh(),
  relu: () => new ReLU(),
  leakyRelu: () => new LeakyReLU(),
  prelu: () => new PReLU(),
  elu: () => new ELU(),
  selu: () => new SELU(),
  gelu: () => new GELU(),
  silu: () => new SiLU(),
  softplus: () => new Softplus(),
};

/** Names `activationModule` accepts ('maxout' needs sizes: build `new Maxout(in, out, pieces)`). */
export const ACTIVATION_NAMES: readonly string[] = [...Object.keys(BUILDERS), 'maxout'];

const canonical = (s: string) => s.toLowerCase().replace(/[_\-\s]/g, '');
const BY_KEY = new Map(Object.keys(BUILDERS).map((n) => [canonical(n), n]));
BY_KEY.set('linear', 'identity');
BY_KEY.set('swish', 'silu');

/**
 * A new activation module with PyTorch's default arguments, by its
 * `activation` name (case, '_' and '-' ignored: 'leaky_relu' works).
 */
export function activationModule(name: string): Activation {
  const key = typeof name === 'string' ? canonical(name) : '';
  if (key === 'maxout') {
    throw NerveError.raw(
      'activationModule',
      "'maxout' has parameters whose sizes a name cannot give; use new Maxout(inFeatures, outFeatures, pieces)",
    );
  }
  const found = BY_KEY.get(key);
  if (found === undefined) {
    throw new NerveError(
      'activationModule',
      `one of ${Object.keys(BUILDERS)
        .map((n) => `'${n}'`)
        .join(', ')}`,
      JSON.stringify(name),
    );
  }
  return BUILDERS[found]();
}
