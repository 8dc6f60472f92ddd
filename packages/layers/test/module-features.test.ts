import '@nerve/backend-cpu';
import { type Tensor, memory, noGrad, ones, randn, tensor, tidy, zeros } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import {
  Conv2d,
  Dropout,
  Flatten,
  Linear,
  MaxPool2d,
  ReLU,
  Sequential,
  crossEntropy,
} from '../src/index.js';

const mlp = () =>
  new Sequential(
    new Linear(4, 8, { seed: 1 }),
    new ReLU(),
    new Dropout(0.5, { seed: 2 }),
    new Linear(8, 3, { seed: 3 }),
  );

describe('Module features with real layers', () => {
  it('names parameters like PyTorch (0.weight, 0.bias, 3.weight, …)', () => {
    const m = mlp();
    expect(m.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['0.weight', [8, 4]],
      ['0.bias', [8]],
      ['3.weight', [3, 8]],
      ['3.bias', [3]],
    ]);
    expect(m.parameters()).toHaveLength(4);
    expect(m.numParameters()).toBe(8 * 4 + 8 + 3 * 8 + 3);
    expect(Object.keys(m.stateDict())).toEqual(['0.weight', '0.bias', '3.weight', '3.bias']);
    m.dispose();
  });

  it('train()/eval() switch Dropout between masking and identity', () => {
    const m = new Sequential(new Dropout(0.5, { seed: 4 }));
    const x = ones([1000]);
    const train = tidy(() => Array.from(m.call(x).dataSync()));
    expect(train.some((v) => v === 0)).toBe(true);
    expect(train.every((v) => v === 0 || v === 2)).toBe(true);
    m.eval();
    expect(m.at(0).training).toBe(false);
    expect(Array.from(m.call(x).dataSync()).every((v) => v === 1)).toBe(true);
    m.train();
    expect(m.at(0).training).toBe(true);
    x.dispose();
  });

  it('freeze/unfreeze by pattern stops and restores gradients', () => {
    const m = mlp();
    m.freeze('0');
    expect(m.namedParameters().map(([n, p]) => [n, p.requiresGrad])).toEqual([
      ['0.weight', false],
      ['0.bias', false],
      ['3.weight', true],
      ['3.bias', true],
    ]);
    expect(m.at(0).frozen).toBe(true);
    expect(m.numParameters(true)).toBe(3 * 8 + 3);
    tidy(() => {
      const loss = crossEntropy(
        m.call(randn([5, 4], { seed: 1 })),
        tensor([0, 1, 2, 0, 1], { dtype: 'int32' }),
      );
      loss.backward();
    });
    const grads = Object.fromEntries(m.namedParameters().map(([n, p]) => [n, p.grad !== null]));
    expect(grads).toEqual({ '0.weight': false, '0.bias': false, '3.weight': true, '3.bias': true });
    m.unfreeze(/weight$/);
    expect(m.trainableParameters()).toHaveLength(3);
    m.unfreeze();
    m.freeze('*.bias');
    expect(
      m
        .namedParameters()
        .filter(([, p]) => !p.requiresGrad)
        .map(([n]) => n),
    ).toEqual(['0.bias', '3.bias']);
    expect(() => m.freeze('classifier')).toThrow(/freeze: expected a pattern matching some of/);
    m.zeroGrad();
    m.dispose();
  });

  it('loadStateDict rejects missing, unexpected and mis-shaped keys in one error and changes nothing', () => {
    const m = mlp();
    const before = m.stateDict()['0.weight'].arraySync();
    const bad: Record<string, Tensor> = {
      '0.weight': zeros([8, 4]),
      '0.bias': zeros([7]),
      '3.weight': zeros([3, 8]),
      extra: zeros([1]),
    };
    let msg = '';
    try {
      m.loadStateDict(bad);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^loadStateDict: rejected \(nothing was loaded\)/);
    expect(msg).toMatch(/'0\.bias': shape \[7\] does not match the module's \[8\]/);
    expect(msg).toMatch(/missing key '3\.bias'/);
    expect(msg).toMatch(/unexpected key 'extra'/);
    expect(m.stateDict()['0.weight'].arraySync()).toEqual(before);
    // strict: false accepts a partial dict and reports what it skipped.
    const res = tidy(() =>
      m.loadStateDict({ '0.weight': bad['0.weight'], extra: bad.extra }, { strict: false }),
    );
    expect(res.missingKeys).toEqual(['0.bias', '3.weight', '3.bias']);
    expect(res.unexpectedKeys).toEqual(['extra']);
    expect(m.stateDict()['0.weight'].arraySync()).toEqual(zeros([8, 4]).arraySync());
    for (const t of Object.values(bad)) t.dispose();
    m.dispose();
  });

  it('summary() prints every layer with its output shape and parameter count', () => {
    const m = new Sequential(
      new Conv2d(1, 4, 3, { padding: 1, seed: 0 }),
      new ReLU(),
      new MaxPool2d(2),
      new Flatten(),
      new Linear(4 * 4 * 4, 10, { seed: 0 }),
    );
    const s = m.summary([2, 1, 8, 8]);
    const lines = s.split('\n');
    expect(lines[0]).toBe('Sequential');
    expect(s).toMatch(/0\s+Conv2d\s+\[2, 4, 8, 8\]\s+40/);
    expect(s).toMatch(/1\s+ReLU\s+\[2, 4, 8, 8\]\s+0/);
    expect(s).toMatch(/2\s+MaxPool2d\s+\[2, 4, 4, 4\]\s+0/);
    expect(s).toMatch(/3\s+Flatten\s+\[2, 64\]\s+0/);
    expect(s).toMatch(/4\s+Linear\s+\[2, 10\]\s+650/);
    expect(s).toMatch(/total parameters: 690 \(trainable 690, frozen 0\)/);
    m.dispose();
  });

  it('a training step inside tidy keeps memory().numTensors flat', () => {
    const m = new Sequential(
      new Conv2d(1, 2, 3, { padding: 1, seed: 0 }),
      new ReLU(),
      new MaxPool2d(2),
      new Flatten(),
      new Dropout(0.2, { seed: 1 }),
      new Linear(2 * 3 * 3, 3, { seed: 2 }),
    );
    const x = randn([4, 1, 6, 6], { seed: 3 });
    const y = tensor([0, 1, 2, 1], { dtype: 'int32' });
    const step = () => {
      tidy(() => {
        const loss = crossEntropy(m.call(x), y, { labelSmoothing: 0.1 });
        loss.backward();
        noGrad(() => {
          for (const p of m.parameters()) p.assign(p.sub(p.grad!.mul(0.1)));
        });
      });
      m.zeroGrad();
    };
    step();
    const counts: number[] = [];
    for (let i = 0; i < 5; i++) {
      step();
      counts.push(memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    // A layer's inference outside tidy leaves only its output behind (a
    // Sequential also leaves the outputs of its inner layers: use tidy).
    m.eval();
    for (const layer of m.children()) {
      const input = layer instanceof Linear ? randn([4, 18]) : x;
      const before = memory().numTensors;
      const out = noGrad(() => layer.call(input));
      expect(memory().numTensors, layer.constructor.name).toBe(before + (out === input ? 0 : 1));
      if (out !== input) out.dispose();
      if (input !== x) input.dispose();
    }
    m.dispose();
    x.dispose();
    y.dispose();
  });
});
