/**
 * The small models (mlp, lenet5, vggSmall): output shapes, parameter counts
 * from their definitions, the backbone/head split (every parameter in a stage
 * or the head), replaceHead, and inference that leaves no tensor behind.
 */
import '@nerve/backend-cpu';
import { memory, noGrad, randn, tidy } from '@nerve/core';
import { crossEntropy } from '@nerve/layers';
import { tensor } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { type ImageClassifier, lenet5, mlp, vggSmall } from '../src/index.js';

const cases: [string, () => ImageClassifier, number[], number][] = [
  // 784·256 + 256 + 256·128 + 128 + 128·10 + 10
  ['mlp', () => mlp({ seed: 1 }), [3, 1, 28, 28], 235_146],
  // C1 156 + C3 2,416 + C5 48,120 + F6 10,164 + output 850 (LeCun et al. 1998, 60 k)
  ['lenet5', () => lenet5({ seed: 1 }), [3, 1, 28, 28], 61_706],
  // convolutions 287,008 + BatchNorm 896 + Linear 131,328 + 2,570
  ['vggSmall', () => vggSmall({ seed: 1 }), [3, 3, 32, 32], 421_802],
];

describe.each(cases)('%s', (_name, build, inputShape, count) => {
  it('maps a batch to [N, 10] logits, with the parameter count of its definition', () => {
    const model = build().eval();
    const x = randn(inputShape, { seed: 2 });
    const before = memory().numTensors;
    const y = noGrad(() => model.call(x));
    expect(y.shape).toEqual([3, 10]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    y.dispose();
    expect(memory().numTensors).toBe(before);
    expect(model.numParameters()).toBe(count);
    x.dispose();
    model.dispose();
  });

  it('freezeBackbone trains the head only; unfreezeLast(n) adds the last n stages', () => {
    const model = build();
    const trainable = () =>
      model
        .namedParameters()
        .filter(([, p]) => p.requiresGrad)
        .map(([k]) => k);
    model.freezeBackbone();
    const head = model.headLinearName;
    expect(
      trainable().every((k) => k.startsWith(`${model.headName}.`) || k.startsWith(`${head}.`)),
    ).toBe(true);
    expect(trainable()).toContain(`${head}.weight`);
    const headOnly = trainable().length;
    model.unfreezeLast(1);
    expect(trainable().length).toBeGreaterThan(headOnly);
    model.unfreezeLast(model.stages.length);
    expect(trainable().length).toBe(model.parameters().length);
    model.unfreezeLast(0);
    expect(trainable().length).toBe(headOnly);
    expect(() => model.unfreezeLast(-1)).toThrow(/unfreezeLast: expected a number of stages/);
    model.dispose();
  });

  it('every parameter is in a stage or the head; replaceHead gives new classes', () => {
    const model = build();
    model.freeze();
    for (const s of model.stages) model.unfreeze(s);
    expect(model.trainableParameters().length).toBe(model.parameters().length - 2);
    model.unfreeze(model.headName);
    expect(model.trainableParameters().length).toBe(model.parameters().length);
    const head = model.replaceHead(4, { seed: 3 });
    expect([model.numClasses, head.inFeatures]).toEqual([4, model.numFeatures]);
    expect(model.stateDict()[`${model.headLinearName}.weight`]).toBe(head.weight);
    // A training step reaches the new head and the backbone.
    const x = randn(inputShape, { seed: 4 });
    const labels = tensor([0, 3, 1], { dtype: 'int32' });
    tidy(() => crossEntropy(model.train().call(x), labels).backward());
    expect(head.weight.grad?.shape).toEqual(head.weight.shape);
    expect(model.parameters()[0].grad).not.toBeNull();
    model.zeroGrad();
    x.dispose();
    labels.dispose();
    model.dispose();
  });
});

describe('input checks', () => {
  it('vggSmall takes any size from 8×8 and grayscale with inChannels 1', () => {
    const model = vggSmall({ inChannels: 1, numClasses: 5 }).eval();
    for (const size of [8, 28, 45]) {
      const x = randn([2, 1, size, size]);
      const y = noGrad(() => model.call(x));
      expect(y.shape).toEqual([2, 5]);
      y.dispose();
      x.dispose();
    }
    model.dispose();
  });

  it('lenet5 takes other sizes from 12×12 (inputSize), and refuses smaller ones and other inputs', () => {
    // H → C1 H → S2 ⌊H/2⌋ → C3 ⌊H/2⌋ − 4 → S4 ⌊(⌊H/2⌋ − 4)/2⌋: 12 → 1, 16 → 2, 28 → 5, 33 → 6.
    for (const [size, side] of [
      [12, 1],
      [16, 2],
      [28, 5],
      [33, 6],
    ]) {
      const model = lenet5({ inputSize: size, numClasses: 3 }).eval();
      expect(model.stateDict()['classifier.0.weight'].shape).toEqual([120, 16 * side * side]);
      const x = randn([2, 1, size, size]);
      const y = noGrad(() => model.call(x));
      expect(y.shape).toEqual([2, 3]);
      y.dispose();
      x.dispose();
      model.dispose();
    }
    expect(() => lenet5({ inputSize: [12, 11] })).toThrow(
      'lenet5: expected an input of at least 12×12 (two 5×5 convolutions and two 2×2 poolings), received 12×11',
    );
    expect(() => lenet5({ inputSize: 0 })).toThrow(/lenet5: expected inputSize as a positive/);
    const model = lenet5();
    const x = randn([1, 1, 32, 32]);
    expect(() => noGrad(() => model.call(x))).toThrow(
      /lenet5: expected images \[N, C, 28, 28\] \(the size it was built for; lenet5\(\{ inputSize \}\) builds others\), received/,
    );
    x.dispose();
    model.dispose();
  });

  it('mlp takes hidden widths and an activation by name', () => {
    const model = mlp({ inFeatures: 4, hidden: [8, 8, 8], activation: 'tanh', numClasses: 3 });
    expect(model.stages.length).toBe(3);
    expect(Object.keys(model.stateDict())).toEqual([
      'features.1.weight',
      'features.1.bias',
      'features.3.weight',
      'features.3.bias',
      'features.5.weight',
      'features.5.bias',
      'classifier.weight',
      'classifier.bias',
    ]);
    model.dispose();
  });
});
