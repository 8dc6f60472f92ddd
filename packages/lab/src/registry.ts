/** Every experiment of the lab, in the lecture's order. */
import { NerveError } from '@nerve/core';
import type { Experiment } from './experiment.js';
import { activations } from './experiments/activations.js';
import { babysitting } from './experiments/babysitting.js';
import { batchnorm } from './experiments/batchnorm.js';
import { deadRelu } from './experiments/dead-relu.js';
import { initDepth } from './experiments/init-depth.js';
import { preprocessing } from './experiments/preprocessing.js';
import { search } from './experiments/search.js';
import { transfer } from './experiments/transfer.js';

/**
 * The experiments, in lecture order. Each experiment module adds itself
 * here by import; the order of this list is the order of `nerve lab list`.
 */
export const experiments: readonly Experiment[] = [
  initDepth,
  activations,
  deadRelu,
  preprocessing,
  batchnorm,
  babysitting,
  search,
  transfer,
];

/** The experiment with this id, or an error naming the known ones. */
export function getExperiment(id: string): Experiment {
  const found = experiments.find((e) => e.id === id);
  if (found === undefined) {
    throw new NerveError(
      'lab',
      `an experiment id (one of ${experiments.map((e) => e.id).join(', ') || 'none'})`,
      `'${id}'`,
    );
  }
  return found;
}
