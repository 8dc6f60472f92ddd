/**
 * A multilayer perceptron for flattened inputs (images or feature vectors):
 * `features` (Flatten, then Linear + activation per hidden layer) and
 * `classifier` (the last Linear), so it splits into backbone and head like
 * the larger models.
 */
import type { Tensor } from '@nerve/core';
import {
  Flatten,
  Linear,
  type Module,
  type NamePattern,
  Sequential,
  activationModule,
} from '@nerve/layers';
import { ImageClassifier, type ModelOptions, modelSetup, runForward } from './classifier.js';

/** Options of `mlp`. */
export interface MlpOptions extends ModelOptions {
  /** Length of a flattened input (default 784: a 28×28 image). */
  inFeatures?: number;
  /** Widths of the hidden layers (default [256, 128]). */
  hidden?: readonly number[];
  /** The hidden layers' activation, by name (default 'relu'; see `ACTIVATION_NAMES` of @nerve/layers). */
  activation?: string;
}

/**
 * An MLP: `features` = Flatten, then Linear and activation for each hidden
 * width (children `1`, `2`, `3`, `4`, …), and `classifier` = Linear to the
 * classes. Input [N, …] flattening to `inFeatures`, output [N, numClasses].
 */
export class MLP extends ImageClassifier {
  readonly headName = 'classifier' as const;
  /** One stage per hidden layer (its Linear and activation). */
  readonly stages: readonly NamePattern[];
  /** Flatten and the hidden layers (the registered child). */
  get features(): Module {
    return this.getSubmodule('features');
  }

  /** An MLP with `opts.hidden` hidden widths (default [256, 128]) and `numClasses` (default 10) outputs. */
  constructor(opts: MlpOptions = {}) {
    super();
    const { numClasses, init } = modelSetup('mlp', opts, 10);
    const linear = (i: number, o: number) => new Linear(i, o, { init: init.layerDefault(i) });
    const layers: Module[] = [new Flatten()];
    const stages: NamePattern[] = [];
    let width = opts.inFeatures ?? 784;
    for (const h of opts.hidden ?? [256, 128]) {
      stages.push(new RegExp(`^features\\.(${layers.length}|${layers.length + 1})(\\.|$)`));
      layers.push(linear(width, h), activationModule(opts.activation ?? 'relu'));
      width = h;
    }
    this.stages = stages;
    this.registerModule('features', new Sequential(...layers));
    this.registerModule('classifier', linear(width, numClasses));
  }

  /** Logits [N, numClasses]. */
  forward(x: Tensor): Tensor {
    return runForward(this, x, () => this.getSubmodule('classifier').call(this.features.call(x)));
  }
}

/** A multilayer perceptron (default 784 → 256 → 128 → 10, ReLU). */
export function mlp(opts: MlpOptions = {}): MLP {
  return new MLP(opts);
}
