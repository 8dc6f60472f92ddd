/**
 * Replacing a child module by its dotted path (`getSubmodule` /
 * `setSubmodule`, PyTorch's get_submodule / set_submodule) in the models of
 * this package, which read their children from the registry: the forward
 * pass calls the new module (its output changes as the replacement
 * predicts), `parameters()` and `stateDict()` list it under the old names,
 * gradients reach it, and the frozen flags follow PyTorch (a fresh layer
 * trains until frozen again).
 */
import '@nerve/backend-cpu';
import { NerveError, type Tensor, memory, noGrad, randn, tensor, tidy, zeros } from '@nerve/core';
import { zeros as zerosInit } from '@nerve/init';
import { Conv2d, Linear, Maxout, type Module, ReLU, Sequential, crossEntropy } from '@nerve/layers';
import { BatchNorm2d } from '@nerve/norm';
import { afterAll, describe, expect, it } from 'vitest';
import { lenet5, mobilenetV2, resnet18 } from '../src/index.js';

/** The largest absolute difference of two equally long arrays. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The values of `f()` computed without a graph, every intermediate freed. */
function values(f: () => Tensor): Float32Array {
  return tidy(() => noGrad(() => Float32Array.from(f().dataSync() as Float32Array)));
}

/** A bias-free 3×3 convolution of 512 channels with all-zero weights (layer4's conv2 shape). */
const zeroConv = () =>
  new Conv2d(512, 512, 3, { padding: 1, bias: false, init: { weight: zerosInit } });

describe('setSubmodule in resnet18', () => {
  it('a zero conv2 deep in layer4.1 turns that block into the identity: forward calls the new module', () => {
    const model = resnet18({ numClasses: 6, seed: 4 }).eval();
    const x = randn([2, 3, 32, 32], { seed: 5 });
    const before = values(() => model.call(x));
    const old = model.getSubmodule('layer4.1.conv2');
    const fresh = zeroConv();
    const calls: string[] = [];
    old.registerForwardHook(() => calls.push('old'));
    fresh.registerForwardHook(() => calls.push('new'));
    expect(model.setSubmodule('layer4.1.conv2', fresh)).toBe(old);
    expect(model.getSubmodule('layer4.1.conv2')).toBe(fresh);
    const after = values(() => model.call(x));
    expect(calls).toEqual(['new']);
    // Predicted: bn2(conv2(…)) = bn2(0) = 0 (fresh BatchNorm statistics: mean 0, β 0), so
    // layer4.1 gives relu(0 + x) = x, x being layer4.0's output (≥ 0, after a ReLU). The
    // logits are then fc(avgpool(layer4.0(…))), computed here from the model's own pieces.
    const predicted = values(() => {
      let y = model.maxpool.call(model.relu.call(model.bn1.call(model.conv1.call(x))));
      for (const l of model.layers.slice(0, 3)) y = l.call(y);
      y = (model.layers[3] as Sequential).at(0).call(y);
      return model.getSubmodule('fc').call(model.avgpool.call(y).flatten(1));
    });
    // Identical operations on identical values: equal up to float32 rounding of the sum with 0 (none).
    expect(maxDiff(after, predicted)).toBeLessThanOrEqual(1e-6);
    // And the old conv2 did matter: the logits moved.
    expect(maxDiff(after, before)).toBeGreaterThan(1e-3);
    x.dispose();
    old.dispose();
    model.dispose();
  });

  it('parameters() and stateDict() list the new module under the old names; gradients reach it', () => {
    const model = resnet18({ numClasses: 3, seed: 1 });
    const fresh = new Conv2d(512, 512, 3, { padding: 1, bias: false, seed: 9 });
    const old = model.setSubmodule('layer4.1.conv2', fresh) as Conv2d;
    const sd = model.stateDict();
    expect(sd['layer4.1.conv2.weight']).toBe(fresh.weight);
    expect(model.parameters()).toContain(fresh.weight);
    expect(model.parameters()).not.toContain(old.weight);
    expect(Object.keys(sd)).toHaveLength(122); // torchvision's resnet18 state dict, unchanged
    old.dispose();
    const liveBefore = memory().numTensors;
    tidy(() => {
      const loss = crossEntropy(
        model.call(randn([2, 3, 32, 32], { seed: 2 })),
        tensor([0, 2], { dtype: 'int32' }),
      );
      loss.backward();
    });
    expect(fresh.weight.grad).not.toBeNull();
    model.zeroGrad();
    expect(memory().numTensors).toBe(liveBefore);
    model.dispose();
  });

  it('frozen flags: a fresh layer in a frozen backbone trains until frozen again', () => {
    const model = resnet18({ numClasses: 3, seed: 1 });
    model.freezeBackbone().train();
    const fresh = zeroConv();
    model.setSubmodule('layer4.1.conv2', fresh).dispose();
    const trainable = () =>
      model
        .namedParameters()
        .filter(([, p]) => p.requiresGrad)
        .map(([k]) => k);
    // As PyTorch: the new module's parameters require grad, nothing else changed.
    expect(trainable()).toEqual(['layer4.1.conv2.weight', 'fc.weight', 'fc.bias']);
    model.freezeBackbone();
    expect(trainable()).toEqual(['fc.weight', 'fc.bias']);
    expect(fresh.frozen).toBe(true);
    // A BatchNorm put into a frozen network trains (batch statistics) until frozen.
    const bn = new BatchNorm2d(512);
    model.setSubmodule('layer4.1.bn2', bn).dispose();
    model.train();
    expect(bn.training).toBe(true);
    model.freezeBackbone().train();
    expect(bn.training).toBe(false); // frozen BatchNorm stays in evaluation mode
    model.unfreezeLast(1).train();
    expect(trainable()).toContain('layer4.1.conv2.weight');
    expect(bn.training).toBe(true);
    model.dispose();
  });

  it('replacing a whole stage works too (the stages are read from the registry)', () => {
    const model = resnet18({ numClasses: 2, seed: 1 }).eval();
    const x = randn([1, 3, 32, 32], { seed: 3 });
    // layer3 replaced by an identity-like ReLU: the input of layer4 is then layer2's output (128
    // channels), which layer4's first block (expecting 256) refuses: the new stage is used.
    model.setSubmodule('layer3', new ReLU()).dispose();
    expect(() => noGrad(() => tidy(() => model.call(x)))).toThrow(
      /Conv2d: expected a float32 input \[N, 256, H, W\], received a float32 tensor \[1,128,/,
    );
    x.dispose();
    model.dispose();
  });
});

describe('setSubmodule and replaceHead in mobilenetV2', () => {
  it('a new classifier.1 with zero weights and bias [1, 2, 3] gives exactly [1, 2, 3] per image', () => {
    const model = mobilenetV2({ numClasses: 10, seed: 2 }).eval();
    const head = new Linear(1280, 3);
    head.loadStateDict({ weight: zeros([3, 1280]), bias: tensor([1, 2, 3]) });
    model.setSubmodule('classifier.1', head).dispose();
    expect(model.headLinear).toBe(head);
    expect(model.numClasses).toBe(3);
    const x = randn([2, 3, 32, 32], { seed: 1 });
    // Logits = 0 · features + bias, exactly.
    expect(Array.from(values(() => model.call(x)))).toEqual([1, 2, 3, 1, 2, 3]);
    x.dispose();
    model.dispose();
  });

  it('replaceHead: stateDict lists the new head, forward uses it, the old one is disposed', () => {
    const model = mobilenetV2({ numClasses: 10, seed: 2 }).eval();
    const old = model.headLinear;
    const fresh = model.replaceHead(4, { seed: 1 });
    expect(old.weight.isDisposed).toBe(true);
    expect(model.stateDict()['classifier.1.weight']).toBe(fresh.weight);
    expect(model.stateDict()['classifier.1.weight'].shape).toEqual([4, 1280]);
    const x = randn([1, 3, 32, 32], { seed: 1 });
    // The logits are the new head applied to the pooled features (Dropout is off in eval).
    const features = values(() => model.features.call(x).mean([2, 3]));
    const predicted = values(() => fresh.call(tensor(features, { shape: [1, 1280] })));
    expect(
      maxDiff(
        values(() => model.call(x)),
        predicted,
      ),
    ).toBeLessThanOrEqual(1e-6);
    x.dispose();
    model.dispose();
  });

  it('the head may become a Sequential: forward calls the whole classifier', () => {
    const model = lenet5({ seed: 1 }).eval();
    const x = randn([1, 1, 28, 28], { seed: 1 });
    const bias = new Linear(10, 10);
    bias.loadStateDict({ weight: zeros([10, 10]), bias: tensor([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]) });
    // classifier.4 (the output Linear) followed by a layer that maps everything to a constant.
    const last = model.getSubmodule('classifier.4');
    model.setSubmodule('classifier.4', new Sequential(last, bias));
    expect(Array.from(values(() => model.call(x)))).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    x.dispose();
    model.dispose();
  });
});

describe('getSubmodule / setSubmodule errors', () => {
  const model = resnet18({ numClasses: 2, seed: 1 });
  afterAll(() => model.dispose());
  const err = (f: () => unknown): NerveError => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(NerveError);
      return e as NerveError;
    }
    throw new Error('expected a NerveError');
  };

  it('names the missing step and the children there are', () => {
    expect(err(() => model.getSubmodule('layer4.9.conv2')).message).toBe(
      "getSubmodule: expected a path of child modules ('layer4' (Sequential) has [0, 1]), received '9' in 'layer4.9.conv2'",
    );
    expect(err(() => model.setSubmodule('head', new ReLU())).message).toMatch(
      /setSubmodule: expected a path of child modules \(the ResNet has \[conv1, bn1, relu, maxpool, layer1, layer2, layer3, layer4, avgpool, fc\]\), received 'head' in 'head'/,
    );
    expect(err(() => model.setSubmodule('layer1.0.conv1.x', new ReLU())).message).toMatch(
      /'layer1\.0\.conv1' \(Conv2d\) has no children/,
    );
  });

  it('a parameter or buffer is not a module; a non-module is refused; cycles are refused', () => {
    expect(err(() => model.getSubmodule('layer4.1.conv2.weight')).message).toBe(
      "getSubmodule: 'layer4.1.conv2.weight' is a parameter of 'layer4.1.conv2' (Conv2d), not a module",
    );
    expect(err(() => model.setSubmodule('bn1.running_mean', new ReLU())).message).toMatch(
      /'bn1\.running_mean' is a buffer of 'bn1' \(BatchNorm2d\), not a module/,
    );
    expect(err(() => model.setSubmodule('fc', {} as Module)).message).toMatch(
      /setSubmodule: expected a Module, received/,
    );
    expect(err(() => model.setSubmodule('', new ReLU())).message).toMatch(
      /setSubmodule: expected a dotted path of child names/,
    );
    const layer1 = model.getSubmodule('layer1');
    expect(err(() => model.setSubmodule('layer1.0', new Sequential(layer1))).message).toMatch(
      /contains its parent \(a cycle\)/,
    );
    expect(model.getSubmodule('layer1')).toBe(layer1);
  });

  it('a parent that keeps the child in a field of its own is refused before anything changes', () => {
    const m = new Maxout(4, 3);
    const old = m.linear;
    expect(err(() => m.setSubmodule('linear', new Linear(4, 6))).message).toMatch(
      /Maxout also keeps 'linear' in its field 'linear'/,
    );
    expect(m.getSubmodule('linear')).toBe(old);
    m.dispose();
  });
});
