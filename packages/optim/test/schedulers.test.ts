/** Every scheduler's lr sequence against torch.optim.lr_scheduler over ~30 steps. */
import '@nerve/backend-cpu';
import { describe, expect, it } from 'vitest';
import type { Optimizer } from '../src/index.js';
import { buildOptimizer, buildScheduler, expectClose, fixtures } from './helpers.js';

const lrsOf = (opt: Optimizer) => opt.paramGroups.map((g) => g.lr);
const momentaOf = (opt: Optimizer) =>
  opt.paramGroups.map((g) => (g.betas ? (g.betas as number[])[0] : (g.momentum as number)));

describe('schedulers match PyTorch', () => {
  it('has fixtures for every scheduler', () => {
    const types = new Set(fixtures.schedulers.map((c) => c.type));
    expect(types.size).toBe(9);
  });

  for (const c of fixtures.schedulers) {
    it(c.name, () => {
      const opt = buildOptimizer(c);
      const sched = buildScheduler(opt, c);
      expectClose(lrsOf(opt), c.lrs[0], 'lr after construction');
      expectClose(sched.getLastLr(), c.lrs[0], 'getLastLr after construction');
      if (c.momentum) expectClose(momentaOf(opt), c.momentum[0], 'momentum after construction');
      for (let t = 1; t < c.lrs.length; t++) {
        opt.step();
        sched.step(c.metrics?.[t - 1]);
        expectClose(lrsOf(opt), c.lrs[t], `lr after step ${t}`);
        expectClose(sched.getLastLr(), c.lrs[t], `getLastLr after step ${t}`);
        if (c.momentum) expectClose(momentaOf(opt), c.momentum[t], `momentum after step ${t}`);
      }
    });
  }
});
