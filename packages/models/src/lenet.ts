/**
 * LeNet-5 (LeCun et al. 1998, "Gradient-based learning applied to document
 * recognition") as it is usually written today: tanh and average pooling as
 * in the paper, but without the paper's trainable subsampling coefficients,
 * its sparse C2→C3 connection table and its RBF output layer.
 */
import { NerveError, type Tensor, describeValue } from '@nerve/core';
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
  /**
   * Height and width of the input images (default 28, MNIST's; one number
   * for square images). C5's input size follows from it: 16 · ⌊(⌊H/2⌋ − 4)/2⌋
   * · ⌊(⌊W/2⌋ − 4)/2⌋ (400 at 28×28). At least `LeNet5.minInputSize` (12).
   */
  inputSize?: number | readonly [number, number];
}

/** The size after C1 (padding 2: unchanged), S2, C3 (5×5, no padding) and S4. */
const featureSize = (s: number) => Math.floor((Math.floor(s / 2) - 4) / 2);

/**
 * LeNet-5 for 28×28 images (MNIST, Fashion-MNIST): `features` = C1 (5×5
 * convolution to 6 channels, padding 2, so 28×28 stays 28×28 as the paper's
 * 32×32 input gave), tanh, S2 (2×2 average pooling), C3 (5×5 to 16
 * channels), tanh, S4; `classifier` = C5 (Linear 400 → 120), tanh, F6
 * (120 → 84), tanh, and the output Linear (84 → numClasses, default 10).
 */
export class LeNet5 extends ImageClassifier {
  /**
   * The smallest input height and width: C3's 5×5 convolution needs S2's
   * output ⌊H/2⌋ ≥ 6 for S4 to leave one pixel, so H ≥ 12.
   */
  static readonly minInputSize = 12;
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

  /** Height and width of the images it takes ([28, 28] by default). */
  readonly inputSize: readonly [number, number];

  /** LeNet-5 with `numClasses` (default 10) outputs for [N, inChannels, H, W] images (28×28 by default). */
  constructor(opts: LeNet5Options = {}) {
    super();
    const { numClasses, init } = modelSetup('lenet5', opts, 10);
    const c = opts.inChannels ?? 1;
    const size = opts.inputSize ?? 28;
    const [h, w] = typeof size === 'number' ? [size, size] : size;
    if (![h, w].every((d) => Number.isInteger(d) && d >= 1)) {
      throw new NerveError(
        'lenet5',
        'inputSize as a positive integer or [height, width]',
        describeValue(opts.inputSize),
      );
    }
    const min = LeNet5.minInputSize;
    if (h < min || w < min) {
      throw new NerveError(
        'lenet5',
        `an input of at least ${min}×${min} (two 5×5 convolutions and two 2×2 poolings)`,
        `${h}×${w}`,
      );
    }
    this.inputSize = [h, w];
    const flat = 16 * featureSize(h) * featureSize(w);
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
        new Linear(flat, 120, { init: init.layerDefault(flat) }),
        new Tanh(),
        new Linear(120, 84, { init: init.layerDefault(120) }),
        new Tanh(),
        new Linear(84, numClasses, { init: init.layerDefault(84) }),
      ),
    );
  }

  /** Logits [N, numClasses] of [N, inChannels, H, W] images (`inputSize`). */
  forward(x: Tensor): Tensor {
    const [h, w] = this.inputSize;
    if (x.shape.length !== 4 || x.shape[2] !== h || x.shape[3] !== w) {
      throw new NerveError(
        'lenet5',
        `images [N, C, ${h}, ${w}] (the size it was built for; lenet5({ inputSize }) builds others)`,
        describeValue(x),
      );
    }
    return runForward(this, x, () => {
      return this.getSubmodule('classifier').call(this.features.call(x).flatten(1));
    });
  }
}

/** LeNet-5 (LeCun et al. 1998) for 28×28 images (others with `inputSize`), 61,706 parameters with 10 classes. */
export function lenet5(opts: LeNet5Options = {}): LeNet5 {
  return new LeNet5(opts);
}
