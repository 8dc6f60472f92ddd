/**
 * What every model of this package shares: a backbone (the feature
 * extractor, pretrained weights) and a head (the last Linear layer, which
 * maps features to class scores), so that finetuning code can freeze the
 * one and replace the other without knowing the architecture.
 */
import { Generator, NerveError, type Tensor, isGradEnabled, tidy } from '@nerve/core';
import type { InitOptions, Initializer } from '@nerve/init';
import { type LayerInit, Linear, Module, type NamePattern, defaultLayerInit } from '@nerve/layers';

/** Options every model builder takes. */
export interface ModelOptions {
  /** Number of classes, the head's output size (default 1000, ImageNet's, as torchvision). */
  numClasses?: number;
  /** Seeds the model's own generator for its initial weights; otherwise the global one is used. */
  seed?: number;
}

/**
 * A classification network split into backbone and head. `headName` is the
 * child holding the classifier (`'fc'` in ResNets, `'classifier'` elsewhere,
 * as in torchvision); `stages` are the backbone's parts from input to output,
 * as name patterns for `freeze` / `unfreeze`, so "unfreeze the last N stages"
 * is `stages.slice(-N)`.
 *
 * @example
 * ```ts
 * const model = resnet18({ numClasses: 10 });
 * model.freeze();                 // the whole network …
 * model.unfreeze(model.headName); // … but the head trains
 * ```
 */
export abstract class ImageClassifier extends Module {
  /** The child that holds the classifier: `'fc'` or `'classifier'` (torchvision's names). */
  abstract readonly headName: 'fc' | 'classifier';
  /** The stages from input to output, as `freeze` patterns: every parameter but the head's last Linear. */
  abstract readonly stages: readonly NamePattern[];

  /** The Linear layer that produces the class scores (the head, or the head's last Linear). */
  get headLinear(): Linear {
    return headLinearOf(this, this.headName);
  }

  /** Number of classes the head produces. */
  get numClasses(): number {
    return this.headLinear.outFeatures;
  }

  /** Size of the feature vector the head's last Linear layer takes. */
  get numFeatures(): number {
    return this.headLinear.inFeatures;
  }

  /** The dotted name of the head's last Linear layer (`'fc'`, `'classifier.1'`, …). */
  get headLinearName(): string {
    const head = this.getSubmodule(this.headName);
    if (head instanceof Linear) return this.headName;
    const [name] = lastLinear(head, this.headName);
    return `${this.headName}.${name}`;
  }

  /**
   * Freezes everything but the head's last Linear layer (`headLinearName`):
   * the pretrained network as a fixed feature extractor. The hidden layers of
   * a larger classifier (LeNet-5's, vggSmall's) count as the backbone's last
   * stage. Frozen BatchNorm layers stay in evaluation mode (see `Module.freeze`).
   */
  freezeBackbone(): this {
    this.freeze();
    return this.unfreeze(this.headLinearName);
  }

  /**
   * Trains the head's last Linear layer and the last `n` stages, the rest frozen
   * (n = 0 is `freezeBackbone`, n ≥ `stages.length` trains everything).
   */
  unfreezeLast(n: number): this {
    if (!Number.isInteger(n) || n < 0) {
      throw new NerveError('unfreezeLast', 'a number of stages as an integer ≥ 0', String(n));
    }
    this.freezeBackbone();
    for (const s of n === 0 ? [] : this.stages.slice(-n)) this.unfreeze(s);
    return this;
  }

  /**
   * Replaces the head's last Linear layer by a new one with `numClasses`
   * outputs (PyTorch's `model.fc = nn.Linear(model.fc.in_features, n)`),
   * disposes the old layer and returns the new one. Its initial weights are
   * PyTorch's default (seeded by `seed` when given). Parameters taken before
   * (an optimizer's list) still name the old, disposed tensors: build the
   * optimizer after this call.
   */
  replaceHead(numClasses: number, opts: { seed?: number } = {}): Linear {
    if (!Number.isInteger(numClasses) || numClasses < 1) {
      throw new NerveError('replaceHead', 'numClasses as an integer ≥ 1', String(numClasses));
    }
    const old = this.headLinear;
    const fresh = new Linear(old.inFeatures, numClasses, opts);
    this.setSubmodule(this.headLinearName, fresh);
    fresh.train(old.training);
    old.dispose();
    return fresh;
  }
}

function headLinearOf(model: Module, headName: string): Linear {
  const head = model.getSubmodule(headName);
  if (head instanceof Linear) return head;
  return lastLinear(head, headName)[1];
}

function lastLinear(head: Module | undefined, headName: string): [string, Linear] {
  const found = head
    ?.namedChildren()
    .filter((c): c is [string, Linear] => c[1] instanceof Linear)
    .pop();
  if (!found) throw NerveError.raw('headLinear', `no Linear layer in '${headName}'`);
  return found;
}

/** The validated number of classes (default 1000). */
export function classesArg(op: string, opts: ModelOptions): number {
  const n = opts.numClasses ?? 1000;
  if (!Number.isInteger(n) || n < 1) {
    throw new NerveError(op, 'numClasses as an integer ≥ 1', String(opts.numClasses));
  }
  return n;
}

/**
 * Draws every initial weight of one model from one generator (seeded) or
 * from the global one, so `seed` makes the whole model reproducible.
 */
export class InitSource {
  private readonly source: InitOptions;

  constructor(op: string, seed: number | undefined) {
    if (seed !== undefined && (!Number.isSafeInteger(seed) || seed < 0)) {
      throw new NerveError(op, 'a non-negative integer seed', String(seed));
    }
    this.source = seed === undefined ? {} : { generator: new Generator(seed) };
  }

  /** `init` drawing from this model's generator, whatever source a layer passes. */
  use(init: Initializer): Initializer {
    return (shape) => init(shape, this.source);
  }

  /** PyTorch's default weight and bias init of a layer with `fanIn` inputs, from this generator. */
  layerDefault(fanIn: number): Required<LayerInit> {
    const def = defaultLayerInit(fanIn);
    return { weight: this.use(def.weight), bias: this.use(def.bias) };
  }
}

/**
 * What every model's constructor starts with: the validated number of classes
 * (`defaultClasses` when `opts.numClasses` is unset) and the source of its
 * initial weights (`opts.seed`), both checked under the name `op`.
 */
export function modelSetup(
  op: string,
  opts: ModelOptions,
  defaultClasses = 1000,
): { numClasses: number; init: InitSource } {
  const numClasses = classesArg(op, { numClasses: opts.numClasses ?? defaultClasses });
  return { numClasses, init: new InitSource(op, opts.seed) };
}

/**
 * Runs a model's forward pass; when no graph will be recorded (gradients
 * off, or nothing requires them) inside `tidy`, so inference frees every
 * intermediate at once. With a graph the intermediates stay alive for
 * backward and belong to the caller's scope (wrap training steps in `tidy`).
 */
export function runForward(model: Module, x: Tensor, fn: () => Tensor): Tensor {
  const graph =
    isGradEnabled() && (x.requiresGrad || model.parameters().some((p) => p.requiresGrad));
  return graph ? fn() : tidy(fn);
}
