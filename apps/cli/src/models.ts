/**
 * The models `nerve train` builds, from a JSON-able spec that checkpoints
 * carry so `nerve eval` can rebuild the same network.
 */
import { zeros as zerosInit, getInitializer } from '@nerve/init';
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

export interface ModelSpec {
  kind: 'mlp' | 'cnn';
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
export function buildModel(spec: ModelSpec): Sequential {
  const init = layerInit(spec);
  const layers = planModel(spec).map((l) => buildLayer(l, init));
  return new Sequential(...layers);
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
export function defaultHidden(kind: 'mlp' | 'cnn', inputSize: number): number[] {
  if (kind === 'cnn') return [16, 32];
  if (inputSize <= 2) return [100];
  return inputSize <= 64 ? [128, 64] : [256, 128];
}

/** The network in a few words for the log: 'mlp 128-64 relu', 'mlp 10×500 tanh, dropout 0.5'. */
export function describeModel(spec: ModelSpec): string {
  const h = spec.hidden;
  const widths = h.length > 2 && h.every((w) => w === h[0]) ? `${h.length}×${h[0]}` : h.join('-');
  const parts = [`${spec.kind} ${widths} ${spec.activation}`];
  if (spec.batchnorm) parts.push('batchnorm');
  if (spec.dropout) parts.push(`dropout ${spec.dropout}`);
  return parts.join(', ');
}
