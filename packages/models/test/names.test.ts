/**
 * The models' state dicts against torchvision's (and, for the small models
 * that torchvision lacks, against their PyTorch equivalents in the
 * generator): the same names, shapes and
 * dtypes, parameters in torchvision's order and buffers in torchvision's
 * order, and the same parameter count. The reference is
 * test/fixtures/state-dicts.json, written by fixtures/make_state_dict_keys.py
 * from torchvision's own constructors.
 */
import '@nerve/backend-cpu';
import { readFileSync } from 'node:fs';
import { memory, noGrad, tidy, zeros } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import {
  type ImageClassifier,
  type ModelOptions,
  lenet5,
  mlp,
  mobilenetV2,
  resnet18,
  resnet34,
  vggSmall,
} from '../src/index.js';

type Layout = {
  args: { num_classes?: number; in_channels?: number };
  parameters: number;
  stateDict: [string, 'F32' | 'I64', number[]][];
};
const layouts: Record<string, Layout> = JSON.parse(
  readFileSync(new URL('./fixtures/state-dicts.json', import.meta.url), 'utf8'),
);

const builders: Record<string, (o: ModelOptions & { inChannels?: number }) => ImageClassifier> = {
  resnet18,
  resnet34,
  'resnet18-10': resnet18,
  mobilenetV2,
  'mobilenetV2-10': mobilenetV2,
  // No torchvision original: the fixture holds their PyTorch equivalents.
  mlp,
  lenet5,
  vggSmall,
  'vggSmall-gray-5': vggSmall,
};

/** torchvision's buffers: BatchNorm's running statistics and batch count. */
const isBuffer = (name: string) => /\.(running_mean|running_var|num_batches_tracked)$/.test(name);
/** nerve keeps int64 counters as int32 (and reads torch's I64 into them). */
const torchDtype = (dtype: string) => (dtype === 'float32' ? 'F32' : 'I64');

describe.each(Object.keys(builders))('%s', (name) => {
  const ref = layouts[name];
  it("has torchvision's state-dict names, shapes and dtypes, in torchvision's order", () => {
    const before = memory().numTensors;
    const model = builders[name]({
      numClasses: ref.args.num_classes,
      inChannels: ref.args.in_channels,
    });
    const ours = (entries: [string, { shape: readonly number[]; dtype: string }][]) =>
      entries.map(([k, t]) => [k, torchDtype(t.dtype), [...t.shape]]);
    expect(ours(model.namedParameters())).toEqual(ref.stateDict.filter(([k]) => !isBuffer(k)));
    expect(ours(model.namedBuffers())).toEqual(ref.stateDict.filter(([k]) => isBuffer(k)));
    expect(model.numParameters()).toBe(ref.parameters);
    model.dispose();
    expect(memory().numTensors).toBe(before);
  });
});

describe('resnet18', () => {
  it('maps [N, 3, H, W] to logits [N, numClasses] without leaving tensors behind', () => {
    const model = resnet18({ numClasses: 7, seed: 1 }).eval();
    const x = zeros([2, 3, 32, 32]);
    const before = memory().numTensors;
    const y = noGrad(() => model.call(x));
    expect(y.shape).toEqual([2, 7]);
    y.dispose();
    expect(memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  it('the same seed gives the same weights, another seed others', () => {
    const w = (seed: number) => {
      const m = resnet18({ numClasses: 3, seed });
      const v = [m.stateDict()['layer3.1.conv2.weight'], m.stateDict()['fc.bias']].map((t) =>
        Array.from(t.dataSync()),
      );
      m.dispose();
      return v;
    };
    expect(w(5)).toEqual(w(5));
    expect(w(5)[0]).not.toEqual(w(6)[0]);
  });

  it('replaceHead swaps fc for a new Linear and disposes the old one', () => {
    const model = resnet18({ numClasses: 1000, seed: 2 });
    const old = model.headLinear;
    const fresh = model.replaceHead(5, { seed: 3 });
    expect(old.weight.isDisposed).toBe(true);
    expect([model.headName, model.headLinearName, model.numClasses, model.numFeatures]).toEqual([
      'fc',
      'fc',
      5,
      512,
    ]);
    expect(model.stateDict()['fc.weight']).toBe(fresh.weight);
    expect(model.stateDict()['fc.weight'].shape).toEqual([5, 512]);
    const y = tidy(() => noGrad(() => model.eval().call(zeros([1, 3, 32, 32])).shape));
    expect(y).toEqual([1, 5]);
    model.dispose();
  });

  it('freezing the stages leaves only the head trainable; the last stage unfreezes by name', () => {
    const model = resnet18({ numClasses: 4 });
    for (const s of model.stages) model.freeze(s);
    expect(model.trainableParameters()).toEqual([model.headLinear.weight, model.headLinear.bias]);
    model.unfreeze(model.stages[model.stages.length - 1]);
    const names = model
      .namedParameters()
      .filter(([, p]) => p.requiresGrad)
      .map(([k]) => k.split('.')[0]);
    expect([...new Set(names)]).toEqual(['layer4', 'fc']);
    // Every parameter belongs to a stage or the head.
    model.freeze();
    for (const s of model.stages) model.unfreeze(s);
    model.unfreeze(model.headName);
    expect(model.trainableParameters().length).toBe(model.parameters().length);
    // The same with the helpers: layer4 and fc train, the frozen BatchNorms stay in eval mode.
    model.unfreezeLast(1).train();
    const bn = model.namedModules().find(([n]) => n === 'layer3.1.bn2')?.[1];
    const bn4 = model.namedModules().find(([n]) => n === 'layer4.1.bn2')?.[1];
    expect([bn?.training, bn4?.training]).toEqual([false, true]);
    model.dispose();
  });

  it('rejects a bad numClasses', () => {
    expect(() => resnet18({ numClasses: 0 })).toThrow(/numClasses as an integer ≥ 1/);
  });
});
