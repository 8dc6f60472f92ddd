/**
 * The models `nerve train` builds, from a JSON-able spec that checkpoints
 * carry so `nerve eval` can rebuild the same network.
 */
import { zeros as zerosInit, getInitializer } from '@nerve/init';
import {
  Conv2d,
  Flatten,
  Linear,
  MaxPool2d,
  Maxout,
  type Module,
  Sequential,
  activationModule,
} from '@nerve/layers';
import { BatchNorm1d, BatchNorm2d } from '@nerve/norm';
import { UsageError } from './args.js';

export interface ModelSpec {
  kind: 'mlp' | 'cnn';
  /** Shape of one example, e.g. [64] or [1, 28, 28]. */
  inputShape: number[];
  classes: number;
  /** Hidden widths (mlp) or channel counts (cnn). */
  hidden: number[];
  activation: string;
  batchnorm: boolean;
  /** Weight initializer name ('default' keeps each layer's PyTorch default). */
  init: string;
  seed: number;
}

function layerInit(spec: ModelSpec) {
  if (spec.init === 'default') return undefined;
  return { weight: getInitializer(spec.init), bias: zerosInit };
}

/** Builds the network a spec describes. */
export function buildModel(spec: ModelSpec): Sequential {
  const init = layerInit(spec);
  let seed = spec.seed;
  const layers: Module[] = [];
  if (spec.kind === 'mlp') {
    let width = spec.inputShape.reduce((a, b) => a * b, 1);
    layers.push(new Flatten());
    for (const h of spec.hidden) {
      if (spec.activation === 'maxout') {
        layers.push(new Maxout(width, h, 2, { seed: seed++ }));
      } else {
        layers.push(new Linear(width, h, { init, seed: seed++ }));
        if (spec.batchnorm) layers.push(new BatchNorm1d(h));
        layers.push(activationModule(spec.activation));
      }
      width = h;
    }
    layers.push(new Linear(width, spec.classes, { init, seed: seed++ }));
    return new Sequential(...layers);
  }
  if (spec.activation === 'maxout') {
    throw new UsageError(
      '--activation maxout: expected --model mlp (Maxout replaces dense layers)',
    );
  }
  let [channels, height, width] = spec.inputShape;
  for (const c of spec.hidden) {
    layers.push(new Conv2d(channels, c, 3, { padding: 1, init, seed: seed++ }));
    if (spec.batchnorm) layers.push(new BatchNorm2d(c));
    layers.push(activationModule(spec.activation));
    layers.push(new MaxPool2d(2));
    channels = c;
    height = Math.floor(height / 2);
    width = Math.floor(width / 2);
  }
  layers.push(new Flatten());
  layers.push(new Linear(channels * height * width, spec.classes, { init, seed: seed++ }));
  return new Sequential(...layers);
}

/** Hidden sizes per data set: small for the 8×8 digits, larger for 28×28 images. */
export function defaultHidden(kind: 'mlp' | 'cnn', inputSize: number): number[] {
  if (kind === 'cnn') return [16, 32];
  if (inputSize <= 2) return [100];
  return inputSize <= 64 ? [128, 64] : [256, 128];
}
