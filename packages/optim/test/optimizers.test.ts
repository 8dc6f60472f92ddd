/** Every optimizer against torch.optim (foreach=False), three steps, two param groups. */
import '@nerve/backend-cpu';
import { describe, expect, it } from 'vitest';
import { buildCase, expectClose, fixtures, setGrads } from './helpers.js';

describe('optimizers match PyTorch', () => {
  it('has fixtures for every optimizer', () => {
    const kinds = new Set(fixtures.optimizers.map((c) => c.optimizer));
    expect([...kinds].sort()).toEqual(['adagrad', 'adam', 'adamw', 'rmsprop', 'sgd']);
  });

  for (const c of fixtures.optimizers) {
    it(c.name, () => {
      const { params, opt } = buildCase(c);
      for (let step = 0; step < c.after.length; step++) {
        setGrads(c, params, step);
        opt.step();
        for (const [i, p] of params.entries()) {
          expectClose(p.dataSync(), c.after[step][i], `step ${step + 1} param ${i}`);
        }
      }
      opt.zeroGrad();
      opt.disposeState();
      for (const p of params) p.dispose();
    });
  }
});
