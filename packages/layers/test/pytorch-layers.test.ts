import '@nerve/backend-cpu';
import { type Tensor, memory, mul, tidy } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { buildLayer, expectClose, loadFixtures, toTensor } from './fixture-helpers.js';

const fx = loadFixtures();

describe(`layers match PyTorch ${fx.torch} (forward and gradients of sum(y·R))`, () => {
  it('has every layer type in the fixture', () => {
    const types = new Set<string>();
    const walk = (s: { type: string; layers?: { type: string }[] }) => {
      types.add(s.type);
      for (const l of s.layers ?? []) walk(l);
    };
    for (const c of fx.layers) walk(c.spec);
    for (const t of [
      'Linear',
      'Conv2d',
      'MaxPool2d',
      'AvgPool2d',
      'GlobalAvgPool2d',
      'AdaptiveAvgPool2d',
      'Flatten',
      'Dropout',
      'Identity',
      'Sigmoid',
      'Tanh',
      'ReLU',
      'ReLU6',
      'LeakyReLU',
      'PReLU',
      'ELU',
      'SELU',
      'GELU',
      'SiLU',
      'Softplus',
      'Maxout',
      'Sequential',
    ]) {
      expect(types.has(t), t).toBe(true);
    }
  });

  for (const c of fx.layers) {
    it(c.name, () => {
      const before = memory().numTensors;
      const m = buildLayer(c.spec);
      if (c.spec.eval) m.eval();
      const state: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(c.params)) state[k] = toTensor(v);
      // module.ts's loadStateDict leaves the clone it assigns from alive (reported);
      // inside tidy those handles are freed.
      tidy(() => m.loadStateDict(state));
      for (const t of Object.values(state)) t.dispose();
      expect(Object.keys(m.stateDict()).sort()).toEqual(Object.keys(c.params).sort());
      tidy(() => {
        const x = toTensor(c.input);
        x.requiresGrad = true;
        const y = m.call(x);
        expectClose(y, c.output, `${c.name} output`);
        mul(y, toTensor(c.r)).sum().backward();
        expectClose(x.grad!, c.grads.input, `${c.name} d/dinput`);
        const params = Object.fromEntries(m.namedParameters());
        for (const k of Object.keys(c.params)) {
          expectClose(params[k].grad!, c.grads[k], `${c.name} d/d${k}`);
        }
        x.dispose();
      });
      m.dispose();
      expect(memory().numTensors).toBe(before);
    });
  }
});
