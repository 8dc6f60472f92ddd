/**
 * LeNet-5 (LeCun et al. 1998, "Gradient-based learning applied to document
 * recognition") as it is usually written today: tanh and average pooling as
 * in the paper, but without the paper's trainable subsampling coefficients,
 * its sparse C2→C3 connection table and its RBF output layer.
 */
import type { Tensor } from '@nerve/core';
import {
  AvgPool2d,
  Conv2d,
  Linear,
  type Module,
  type NamePattern,
  Sequential,
  Tanh,
} from '@nerve/layers';
import { ImageClassifier, type ModelOptions, modelSetup, runForward } from './classifier.js';

/** Options of `lenet5`. */
export interface LeNet5Options extends ModelOptions {
  /** Channels of the input images (default 1: grayscale). */
  inChannels?: number;
}

/**
 * LeNet-5 for 28×28 images (MNIST, Fashion-MNIST): `features` = C1 (5×5
 * convolution to 6 channels, padding 2, so 28×28 stays 28×28 as the paper's
 * 32×32 input gave), tanh, S2 (2×2 average pooling), C3 (5×5 to 16
 * channels), tanh, S4; `classifier` = C5 (Linear 400 → 120), tanh, F6
 * (120 → 84), tanh, and the output Linear (84 → numClasses, default 10).
 */
export class LeNet5 extends ImageClassifier {
  readonly headName = 'classifier' as const;
  readonly stages: readonly NamePattern[] = [
    /^features\.[0-2](\.|$)/,
    /^features\.[3-5](\.|$)/,
    /^classifier\.[0-3](\.|$)/,
  ];
  /** C1, tanh, S2, C3, tanh, S4 (the registered child). */
  get features(): Module {
    return this.getSubmodule('features');
  }

  /** LeNet-5 with `numClasses` (default 10) outputs for [N, inChannels, 28, 28] images. */
  constructor(opts: LeNet5Options = {}) {
    super();
    const { numClasses, init } = modelSetup('lenet5', opts, 10);
    const c = opts.inChannels ?? 1;
    this.registerModule(
      'features',
      new Sequential(
        new Conv2d(c, 6, 5, { padding: 2, init: init.layerDefault(c * 25) }),
        new Tanh(),
        new AvgPool2d(2),
        new Conv2d(6, 16, 5, { init: init.layerDefault(6 * 25) }),
        new Tanh(),
        new AvgPool2d(2),
      ),
    );
    this.registerModule(
      'classifier',
      new Sequential(
        new Linear(16 * 5 * 5, 120, { init: init.layerDefault(400) }),
        new Tanh(),
        new Linear(120, 84, { init: init.layerDefault(120) }),
        new Tanh(),
        new Linear(84, numClasses, { init: init.layerDefault(84) }),
      ),
    );
  }

  /** Logits [N, numClasses] of [N, inChannels, 28, 28] images. */
  forward(x: Tensor): Tensor {
    return runForward(this, x, () => {
      return this.getSubmodule('classifier').call(this.features.call(x).flatten(1));
    });
  }
}

/** LeNet-5 (LeCun et al. 1998) for 28×28 images, 61,706 parameters with 10 classes. */
export function lenet5(opts: LeNet5Options = {}): LeNet5 {
  return new LeNet5(opts);
}
