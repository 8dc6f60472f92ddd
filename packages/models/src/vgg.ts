/**
 * A small VGG-style network (Simonyan & Zisserman 2015): stacks of 3×3
 * convolutions with BatchNorm and ReLU, halved by 2×2 max pooling while the
 * channels double, then a small classifier, laid out as torchvision's VGG
 * (`features`, `avgpool`, `classifier`).
 *
 * Named `vggSmall`: the `vgg` prefix files it with torchvision's VGG family,
 * and `Small` says it is none of the paper's configurations A–E (vgg11 …
 * vgg19), which a depth number would suggest; it is sized for 28×28 to
 * 64×64 images (MNIST, Fashion-MNIST, CIFAR), ~0.42 M parameters.
 */
import type { Tensor } from '@nerve/core';
import { heNormal, normal, zeros } from '@nerve/init';
import {
  AdaptiveAvgPool2d,
  Conv2d,
  Dropout,
  Linear,
  MaxPool2d,
  type Module,
  type NamePattern,
  ReLU,
  Sequential,
} from '@nerve/layers';
import { BatchNorm2d } from '@nerve/norm';
import { ImageClassifier, type ModelOptions, modelSetup, runForward } from './classifier.js';

/** Options of `vggSmall`. */
export interface VggSmallOptions extends ModelOptions {
  /** Channels of the input images (default 3: RGB; 1 for grayscale). */
  inChannels?: number;
  /** Channels of the three blocks of two 3×3 convolutions (default [32, 64, 128]). */
  widths?: readonly [number, number, number];
  /** Drop probability in the classifier (default 0.5, as VGG's). */
  dropout?: number;
}

/**
 * `features`: three blocks of (3×3 conv, BatchNorm, ReLU) × 2 and a 2×2 max
 * pooling (torchvision's `vgg*_bn` layout: children 0 … 20); `avgpool`:
 * AdaptiveAvgPool2d(2), so any input of at least 8×8 works; `classifier`:
 * Linear(4·C → 256), ReLU, Dropout, Linear(256 → numClasses, default 10).
 */
export class VggSmall extends ImageClassifier {
  /** The smallest input height and width: three 2×2 max poolings leave 1 pixel of 8. */
  static readonly minInputSize = 8;
  readonly headName = 'classifier' as const;
  /** One stage per block of two convolutions and its pooling. */
  readonly stages: readonly NamePattern[] = [
    /^features\.[0-6](\.|$)/,
    /^features\.([7-9]|1[0-3])(\.|$)/,
    /^features\.(1[4-9]|20)(\.|$)/,
    /^classifier\.[0-2](\.|$)/,
  ];
  /** The convolution blocks (the registered child). */
  get features(): Module {
    return this.getSubmodule('features');
  }
  /** Average pooling to 2×2 (the registered child). */
  get avgpool(): Module {
    return this.getSubmodule('avgpool');
  }

  /** A small VGG-style network with `numClasses` (default 10) outputs. */
  constructor(opts: VggSmallOptions = {}) {
    super();
    const { numClasses, init } = modelSetup('vggSmall', opts, 10);
    // torchvision's VGG init: He normal (fan-out) convolutions with zero
    // bias, Linear N(0, 0.01) with zero bias.
    const conv = (i: number, o: number) =>
      new Conv2d(i, o, 3, {
        padding: 1,
        init: { weight: init.use(heNormal({ mode: 'fanOut', nonlinearity: 'relu' })), bias: zeros },
      });
    const linear = (i: number, o: number) =>
      new Linear(i, o, { init: { weight: init.use(normal(0, 0.01)), bias: zeros } });
    const layers: Module[] = [];
    let c = opts.inChannels ?? 3;
    for (const w of opts.widths ?? [32, 64, 128]) {
      for (let k = 0; k < 2; k++) {
        layers.push(conv(c, w), new BatchNorm2d(w), new ReLU());
        c = w;
      }
      layers.push(new MaxPool2d(2));
    }
    this.registerModule('features', new Sequential(...layers));
    this.registerModule('avgpool', new AdaptiveAvgPool2d(2));
    this.registerModule(
      'classifier',
      new Sequential(
        linear(4 * c, 256),
        new ReLU(),
        new Dropout(opts.dropout ?? 0.5),
        linear(256, numClasses),
      ),
    );
  }

  /** Logits [N, numClasses] of [N, inChannels, H, W] images (H, W ≥ 8). */
  forward(x: Tensor): Tensor {
    return runForward(this, x, () => {
      const f = this.avgpool.call(this.features.call(x));
      return this.getSubmodule('classifier').call(f.flatten(1));
    });
  }
}

/** A small VGG-style CNN (see `VggSmall`): ~0.42 M parameters, for 28×28 to 64×64 images. */
export function vggSmall(opts: VggSmallOptions = {}): VggSmall {
  return new VggSmall(opts);
}
