/**
 * The models `nerve train` builds, from a JSON-able spec that checkpoints
 * carry so `nerve eval` can rebuild the same network.
 */
import { NerveError, type Tensor, sum } from '@nerve/core';
import { zeros as zerosInit, getInitializer } from '@nerve/init';
import {
  type ImageClassifier,
  LeNet5,
  VggSmall,
  lenet5,
  mobilenetV2,
  resnet18,
  resnet34,
  vggSmall,
} from '@nerve/models';
import {
  Conv2d,
  Dropout,
  Flatten,
  Linear,
  MaxPool2d,
  Maxout,
  type Module,
  Sequential,
  activationModule,
} from '@nerve/layers';
import { BatchNorm1d, BatchNorm2d } from '@nerve/norm';
import { type ArchArgs, UsageError } from './args.js';
import { ZOO_MODELS } from './names.js';

/** A torchvision-style network of @nerve/models, by its CLI name. */
export type ZooModel = (typeof ZOO_MODELS)[number];

/** The builders of @nerve/models by the CLI's names (torchvision's). */
const ZOO: Record<
  ZooModel,
  (o: {
    numClasses: number;
    seed: number;
    inChannels: number;
    inputSize: [number, number];
  }) => ImageClassifier
> = {
  resnet18,
  resnet34,
  mobilenet_v2: mobilenetV2,
  // These two take their input channels; the ImageNet networks get their stem rebuilt.
  vgg_small: vggSmall,
  // LeNet-5's first Linear layer is sized for the images.
  lenet5,
};

/**
 * The smallest image height and width of the zoo networks that have one
 * (their own `minInputSize`); the ResNets and MobileNetV2 take any size
 * (their strides round up and they pool adaptively).
 */
const MIN_SIZE: Partial<Record<ZooModel, { size: number; why: string }>> = {
  lenet5: { size: LeNet5.minInputSize, why: 'two 5×5 convolutions and two 2×2 poolings' },
  vgg_small: { size: VggSmall.minInputSize, why: 'three 2×2 max poolings' },
};

/**
 * Checks that a zoo network can take the spec's examples: images [C, H, W]
 * at least its minimum size, so a bad `--size` (or the 8×8 digits) fails
 * before any training with the model, the size it needs and the size given.
 */
export function checkZooInput(kind: ZooModel, inputShape: readonly number[]): void {
  if (inputShape.length !== 3) {
    throw new NerveError(
      kind,
      'images [channels, height, width] (--images or an image data set)',
      `examples of shape [${inputShape.join(', ')}]`,
    );
  }
  const [, h, w] = inputShape;
  const min = MIN_SIZE[kind];
  if (min && (h < min.size || w < min.size)) {
    throw new NerveError(
      kind,
      `images of at least ${min.size}×${min.size} (${min.why})`,
      `${h}×${w}`,
    );
  }
}

/** Whether `kind` names a network of @nerve/models (its layers fixed, torchvision's names). */
export function isZoo(kind: string): kind is ZooModel {
  return (ZOO_MODELS as readonly string[]).includes(kind);
}

export interface ModelSpec {
  /** nerve's own MLP or small CNN, or a torchvision-named network of @nerve/models. */
  kind: 'mlp' | 'cnn' | ZooModel;
  /** Shape of one example, e.g. [64] or [1, 28, 28]. */
  inputShape: number[];
  classes: number;
  /** Hidden widths (mlp) or channel counts (cnn). */
  hidden: number[];
  activation: string;
  batchnorm: boolean;
  /** Drop probability of a Dropout after each hidden activation; absent or 0: none. */
  dropout?: number;
  /** Weight initializer name ('default' keeps each layer's PyTorch default). */
  init: string;
  seed: number;
}

function layerInit(spec: ModelSpec) {
  if (spec.init === 'default') return undefined;
  return { weight: getInitializer(spec.init), bias: zerosInit };
}

/** One layer of a spec's network, with its sizes (pure data: nothing allocated). */
type LayerPlan =
  | { kind: 'flatten' | 'pool' }
  | { kind: 'activation'; name: string }
  | { kind: 'dropout'; p: number }
  | { kind: 'linear' | 'maxout'; inFeatures: number; outFeatures: number; seed: number }
  | { kind: 'conv'; inChannels: number; outChannels: number; seed: number }
  | { kind: 'bn1d' | 'bn2d'; features: number };

/** The layers a spec describes, in order, sized but not built. */
export function planModel(spec: ModelSpec): LayerPlan[] {
  let seed = spec.seed;
  const plan: LayerPlan[] = [];
  // After each hidden activation (Srivastava et al. 2014); nothing at p = 0.
  const dropout = () => {
    if (spec.dropout) plan.push({ kind: 'dropout', p: spec.dropout });
  };
  if (spec.kind === 'mlp') {
    let width = spec.inputShape.reduce((a, b) => a * b, 1);
    plan.push({ kind: 'flatten' });
    for (const h of spec.hidden) {
      if (spec.activation === 'maxout') {
        plan.push({ kind: 'maxout', inFeatures: width, outFeatures: h, seed: seed++ });
      } else {
        plan.push({ kind: 'linear', inFeatures: width, outFeatures: h, seed: seed++ });
        if (spec.batchnorm) plan.push({ kind: 'bn1d', features: h });
        plan.push({ kind: 'activation', name: spec.activation });
      }
      dropout();
      width = h;
    }
    plan.push({ kind: 'linear', inFeatures: width, outFeatures: spec.classes, seed: seed++ });
    return plan;
  }
  if (spec.activation === 'maxout') {
    throw new UsageError(
      '--activation maxout: expected --model mlp (Maxout replaces dense layers)',
    );
  }
  let [channels, height, width] = spec.inputShape;
  for (const c of spec.hidden) {
    plan.push({ kind: 'conv', inChannels: channels, outChannels: c, seed: seed++ });
    if (spec.batchnorm) plan.push({ kind: 'bn2d', features: c });
    plan.push({ kind: 'activation', name: spec.activation });
    dropout();
    plan.push({ kind: 'pool' });
    channels = c;
    height = Math.floor(height / 2);
    width = Math.floor(width / 2);
  }
  plan.push({ kind: 'flatten' });
  const flat = channels * height * width;
  plan.push({ kind: 'linear', inFeatures: flat, outFeatures: spec.classes, seed: seed++ });
  return plan;
}

/** The spec of the network the architecture flags describe, sized for the data. */
export function specFor(
  arch: ArchArgs,
  data: { inputShape: number[]; classes: number },
  seed: number,
): ModelSpec {
  const kind = arch.model as ModelSpec['kind'];
  return {
    kind,
    inputShape: data.inputShape,
    classes: data.classes,
    hidden:
      arch.hidden ??
      defaultHidden(
        kind,
        data.inputShape.reduce((a, b) => a * b, 1),
      ),
    activation: arch.activation,
    batchnorm: arch.batchnorm,
    dropout: arch.dropout,
    init: arch.init,
    seed,
  };
}

/** Builds the network a spec describes. */
export function buildModel(spec: ModelSpec): Module {
  if (isZoo(spec.kind)) return buildZoo(spec, spec.kind);
  const init = layerInit(spec);
  const layers = planModel(spec).map((l) => buildLayer(l, init));
  return new Sequential(...layers);
}

/**
 * A network of @nerve/models for the spec's classes. ImageNet networks take
 * RGB; for one-channel input (grayscale images, the built-in data sets) the
 * stem convolution is rebuilt with one input channel. Pretrained RGB weights
 * are loaded into it summed over their three channels (see
 * `stemWeightFor`), which is exactly the RGB network applied to the gray
 * image repeated in all three channels, without tripling the input.
 */
function buildZoo(spec: ModelSpec, kind: ZooModel): Module {
  checkZooInput(kind, spec.inputShape);
  const [channels, h, w] = spec.inputShape;
  const model = ZOO[kind]({
    numClasses: spec.classes,
    seed: spec.seed,
    inChannels: channels,
    inputSize: [h, w],
  });
  const [name, stem] = stemOf(model);
  if (stem.inChannels !== channels) {
    const fresh = new Conv2d(channels, stem.outChannels, stem.kernelSize, {
      stride: stem.stride,
      padding: [stem.padding[0], stem.padding[2]],
      dilation: stem.dilation,
      groups: stem.groups,
      bias: stem.bias !== null,
      seed: spec.seed,
    });
    // The models read their children from the registry, so forward uses the new stem.
    model.setSubmodule(name, fresh).dispose();
  }
  return model;
}

/** The first convolution of a network (its stem) and its dotted name. */
export function stemOf(model: Module): [string, Conv2d] {
  const found = model.namedModules().find(([, m]) => m instanceof Conv2d);
  if (!found) throw NerveError.raw('nerve', 'the network has no convolution (no stem to adapt)');
  return found as [string, Conv2d];
}

/**
 * The stem weight [O, C, KH, KW] for a network with `channels` inputs from
 * a pretrained one with 3: summed over the RGB channels for one channel
 * (conv(repeat(x, 3), W) = conv(x, ΣW): the pretrained network on the gray
 * image in every channel); unchanged when the counts agree.
 */
export function stemWeightFor(weight: Tensor, channels: number): Tensor {
  if (weight.shape[1] === channels || channels !== 1) return weight;
  return sum(weight, 1, { keepDims: true });
}

function buildLayer(l: LayerPlan, init: ReturnType<typeof layerInit>): Module {
  switch (l.kind) {
    case 'flatten':
      return new Flatten();
    case 'pool':
      return new MaxPool2d(2);
    case 'activation':
      return activationModule(l.name);
    case 'dropout':
      return new Dropout(l.p);
    case 'linear':
      return new Linear(l.inFeatures, l.outFeatures, { init, seed: l.seed });
    case 'maxout':
      return new Maxout(l.inFeatures, l.outFeatures, 2, { seed: l.seed });
    case 'conv':
      return new Conv2d(l.inChannels, l.outChannels, 3, { padding: 1, init, seed: l.seed });
    case 'bn1d':
      return new BatchNorm1d(l.features);
    case 'bn2d':
      return new BatchNorm2d(l.features);
  }
}

/** A state-dict entry as a checkpoint must hold it. */
export interface ExpectedTensor {
  shape: number[];
  dtype: 'float32' | 'int32';
}

/**
 * The state dict `buildModel(spec)` would have (names, shapes, dtypes),
 * computed without building it, so a checkpoint can be checked first.
 */
export function expectedState(spec: ModelSpec): Map<string, ExpectedTensor> {
  const out = new Map<string, ExpectedTensor>();
  if (isZoo(spec.kind)) {
    // The layers are fixed by the name (only the head and stem sizes vary): built once to read.
    const model = buildModel(spec);
    for (const [k, t] of Object.entries(model.stateDict())) {
      out.set(k, { shape: [...t.shape], dtype: t.dtype === 'int32' ? 'int32' : 'float32' });
    }
    model.dispose();
    return out;
  }
  const f = (shape: number[]): ExpectedTensor => ({ shape, dtype: 'float32' });
  for (const [i, l] of planModel(spec).entries()) {
    if (l.kind === 'linear' || l.kind === 'maxout') {
      const prefix = l.kind === 'maxout' ? `${i}.linear` : `${i}`;
      const out2 = l.kind === 'maxout' ? l.outFeatures * 2 : l.outFeatures;
      out.set(`${prefix}.weight`, f([out2, l.inFeatures]));
      out.set(`${prefix}.bias`, f([out2]));
    } else if (l.kind === 'conv') {
      out.set(`${i}.weight`, f([l.outChannels, l.inChannels, 3, 3]));
      out.set(`${i}.bias`, f([l.outChannels]));
    } else if (l.kind === 'bn1d' || l.kind === 'bn2d') {
      for (const k of ['weight', 'bias', 'running_mean', 'running_var']) {
        out.set(`${i}.${k}`, f([l.features]));
      }
      out.set(`${i}.num_batches_tracked`, { shape: [], dtype: 'int32' });
    } else if (l.kind === 'activation') {
      // An activation's parameters (PReLU's slope) do not depend on the spec's sizes.
      const act = activationModule(l.name);
      for (const [k, t] of Object.entries(act.stateDict())) {
        out.set(`${i}.${k}`, { shape: [...t.shape], dtype: t.dtype as 'float32' | 'int32' });
      }
      act.dispose();
    }
  }
  return out;
}

/** Hidden sizes per data set: small for the 8×8 digits, larger for 28×28 images. */
export function defaultHidden(kind: ModelSpec['kind'], inputSize: number): number[] {
  if (isZoo(kind)) return [];
  if (kind === 'cnn') return [16, 32];
  if (inputSize <= 2) return [100];
  return inputSize <= 64 ? [128, 64] : [256, 128];
}

/** The network in a few words for the log: 'mlp 128-64 relu', 'mlp 10×500 tanh, dropout 0.5'. */
export function describeModel(spec: ModelSpec): string {
  if (isZoo(spec.kind))
    return `${spec.kind} (@nerve/models), input [${spec.inputShape.join(', ')}]`;
  const h = spec.hidden;
  const widths = h.length > 2 && h.every((w) => w === h[0]) ? `${h.length}×${h[0]}` : h.join('-');
  const parts = [`${spec.kind} ${widths} ${spec.activation}`];
  if (spec.batchnorm) parts.push('batchnorm');
  if (spec.dropout) parts.push(`dropout ${spec.dropout}`);
  return parts.join(', ');
}
