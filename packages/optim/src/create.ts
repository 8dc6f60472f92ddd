/** Optimizers by name, for the CLI and configuration files. */
import { NerveError, describeValue } from '@nerve/core';
import { Adagrad } from './adagrad.js';
import { Adam, AdamW } from './adam.js';
import type { Optimizer, Params } from './optimizer.js';
import { RMSprop } from './rmsprop.js';
import { SGD, type SGDOptions } from './sgd.js';

/** The names createOptimizer accepts. */
export const OPTIMIZER_NAMES = [
  'sgd',
  'momentum',
  'nesterov',
  'adagrad',
  'rmsprop',
  'adam',
  'adamw',
] as const;

/** A name createOptimizer accepts. */
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** Options for createOptimizer: those of the named optimizer (lr is required for the SGD family). */
export interface CreateOptimizerOptions {
  /** Learning rate. */
  lr?: number;
  /** Weight decay (L2, or decoupled for AdamW). */
  weightDecay?: number;
  [option: string]: unknown;
}

/**
 * Builds an optimizer by name: 'momentum' is SGD with momentum 0.9 and
 * 'nesterov' SGD with Nesterov momentum 0.9 (opts may override either).
 */
export function createOptimizer(
  name: OptimizerName,
  params: Params,
  opts: CreateOptimizerOptions = {},
): Optimizer {
  const key = typeof name === 'string' ? name.toLowerCase() : name;
  const o = opts as unknown as SGDOptions;
  switch (key) {
    case 'sgd':
      return new SGD(params, o);
    case 'momentum':
      return new SGD(params, { momentum: 0.9, ...o });
    case 'nesterov':
      return new SGD(params, { momentum: 0.9, nesterov: true, ...o });
    case 'adagrad':
      return new Adagrad(params, o);
    case 'rmsprop':
      return new RMSprop(params, o);
    case 'adam':
      return new Adam(params, o);
    case 'adamw':
      return new AdamW(params, o);
    default:
      throw new NerveError(
        'createOptimizer',
        `an optimizer name among ${OPTIMIZER_NAMES.map((n) => `'${n}'`).join(', ')}`,
        describeValue(name),
      );
  }
}
