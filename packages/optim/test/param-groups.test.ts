/** Param groups, validation errors, zeroGrad, skipping and createOptimizer. */
import '@nerve/backend-cpu';
import { NerveError, type Tensor, memory, tensor, zeros } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import {
  Adagrad,
  Adam,
  AdamW,
  ChainedScheduler,
  LinearLR,
  OneCycleLR,
  RMSprop,
  ReduceLROnPlateau,
  SGD,
  SequentialLR,
  StepLR,
  createOptimizer,
} from '../src/index.js';
import { expectClose } from './helpers.js';

const param = (values: number[]) => tensor(values, { requiresGrad: true });

describe('param groups', () => {
  it('a plain list is one group with the defaults', () => {
    const p = param([1, 2]);
    const opt = new SGD([p], { lr: 0.1 });
    expect(opt.paramGroups).toHaveLength(1);
    expect(opt.paramGroups[0]).toEqual({
      params: [p],
      lr: 0.1,
      momentum: 0,
      dampening: 0,
      weightDecay: 0,
      nesterov: false,
    });
  });

  it('groups override lr, weightDecay and other hyperparameters (discriminative finetuning)', () => {
    const body = param([1, 1]);
    const head = param([1, 1]);
    const opt = new SGD(
      [
        { params: [body], lr: 0.01 },
        { params: [head], weightDecay: 0.5, momentum: 0.9 },
      ],
      { lr: 0.1 },
    );
    expect(opt.paramGroups.map((g) => [g.lr, g.weightDecay, g.momentum])).toEqual([
      [0.01, 0, 0],
      [0.1, 0.5, 0.9],
    ]);
    body.grad = tensor([1, 1]);
    head.grad = tensor([1, 1]);
    opt.step();
    expectClose(body.dataSync(), [0.99, 0.99], 'body: p − 0.01·g');
    expectClose(head.dataSync(), [0.85, 0.85], 'head: p − 0.1·(g + 0.5·p)');
  });

  it('addParamGroup adds parameters that step with their own lr', () => {
    const a = param([1]);
    const b = param([1]);
    const opt = new Adam([a], { lr: 0.1 });
    opt.addParamGroup({ params: [b], lr: 0.2 });
    expect(opt.paramGroups[1].betas).toEqual([0.9, 0.999]);
    a.grad = tensor([1]);
    b.grad = tensor([-1]);
    opt.step();
    // Adam's first step moves by lr·sign(g) (up to eps).
    expectClose(a.dataSync(), [0.9], 'a');
    expectClose(b.dataSync(), [1.2], 'b');
    expect(() => opt.addParamGroup({ params: [a] })).toThrow(/more than one param group/);
    expect(opt.paramGroups).toHaveLength(2);
  });

  it('extra keys stay on the group and reach the state dict', () => {
    const opt = new SGD([{ params: [param([1])], name: 'head' }], { lr: 0.1 });
    expect(opt.paramGroups[0].name).toBe('head');
    expect(opt.stateDict().paramGroups[0].name).toBe('head');
  });
});

describe('step and zeroGrad', () => {
  it('skips parameters whose grad is null and creates no state for them', () => {
    const a = param([1, 2]);
    const b = param([3]);
    const opt = new Adam([a, b], { lr: 0.1 });
    a.grad = tensor([1, 1]);
    opt.step();
    expect(Array.from(b.dataSync())).toEqual([3]);
    expect(opt.state.has(b)).toBe(false);
    expect(opt.state.get(a)!.step).toBe(1);
  });

  it('zeroGrad disposes the gradients', () => {
    const a = param([1, 2]);
    const opt = new SGD([a], { lr: 0.1 });
    a.grad = tensor([1, 1]);
    const g = a.grad;
    const before = memory().numTensors;
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    expect(g.isDisposed).toBe(true);
    expect(memory().numTensors).toBe(before - 1);
  });

  it('updates parameters in place (same tensor, no graph)', () => {
    const a = param([1, 2]);
    const opt = new SGD([a], { lr: 0.5 });
    a.grad = tensor([1, 1]);
    opt.step();
    expect(a.isLeaf).toBe(true);
    expect(a.requiresGrad).toBe(true);
    expect(Array.from(a.dataSync())).toEqual([0.5, 1.5]);
  });

  it('checks hyperparameters changed between steps before updating anything', () => {
    const a = param([1]);
    const b = param([1]);
    const opt = new SGD([{ params: [a] }, { params: [b] }], { lr: 0.1 });
    a.grad = tensor([1]);
    b.grad = tensor([1]);
    opt.paramGroups[1].lr = Number.NaN;
    expect(() => opt.step()).toThrow(/lr/);
    expect(Array.from(a.dataSync())).toEqual([1]);
  });

  it('rejects a gradient of the wrong shape', () => {
    const a = param([1, 2]);
    const opt = new SGD([a], { lr: 0.1 });
    a.grad = tensor([1, 2, 3]);
    expect(() => opt.step()).toThrow(/shape \[2\]/);
  });
});

describe('validation', () => {
  const p = () => param([1]);
  const cases: [string, () => unknown, RegExp][] = [
    ['empty parameter list', () => new SGD([], { lr: 0.1 }), /at least one parameter/],
    ['not an array', () => new SGD(param([1]) as never, { lr: 0.1 }), /array of tensors/],
    [
      'a non-tensor parameter',
      () => new SGD([p(), 3 as never], { lr: 0.1 }),
      /params\[1\] to be a Tensor/,
    ],
    [
      'an int32 parameter',
      () => new SGD([tensor([1], { dtype: 'int32' })], { lr: 0.1 }),
      /float32/,
    ],
    ['a non-leaf parameter', () => new SGD([p().mul(2)], { lr: 0.1 }), /leaf/],
    [
      'a disposed parameter',
      () => {
        const t = p();
        t.dispose();
        return new SGD([t], { lr: 0.1 });
      },
      /disposed/,
    ],
    [
      'a parameter twice',
      () => {
        const t = p();
        return new SGD([{ params: [t] }, { params: [t] }], { lr: 0.1 });
      },
      /more than one param group/,
    ],
    [
      'duplicate in one group',
      () => {
        const t = p();
        return new Adam([t, t]);
      },
      /more than one param group/,
    ],
    ['missing lr', () => new SGD([p()], {} as never), /lr/],
    ['negative lr', () => new SGD([p()], { lr: -0.1 }), /lr to be a finite number ≥ 0/],
    ['infinite lr', () => new Adam([p()], { lr: Infinity }), /lr/],
    ['NaN lr in a group', () => new Adam([{ params: [p()], lr: Number.NaN }]), /lr/],
    ['negative weight decay', () => new AdamW([p()], { weightDecay: -1 }), /weightDecay/],
    ['beta1 = 1', () => new Adam([p()], { betas: [1, 0.999] }), /betas\[0\] to be in \[0, 1\)/],
    ['negative beta2', () => new Adam([p()], { betas: [0.9, -0.1] }), /betas\[1\]/],
    ['betas not a pair', () => new Adam([p()], { betas: [0.9] as never }), /pair/],
    ['negative eps', () => new Adam([p()], { eps: -1 }), /eps/],
    ['negative momentum', () => new SGD([p()], { lr: 0.1, momentum: -0.5 }), /momentum/],
    ['nesterov without momentum', () => new SGD([p()], { lr: 0.1, nesterov: true }), /Nesterov/],
    [
      'nesterov with dampening',
      () => new SGD([p()], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }),
      /Nesterov/,
    ],
    ['negative lrDecay', () => new Adagrad([p()], { lrDecay: -1 }), /lrDecay/],
    [
      'negative initial accumulator',
      () => new Adagrad([p()], { initialAccumulatorValue: -1 }),
      /initialAccumulatorValue/,
    ],
    ['negative alpha', () => new RMSprop([p()], { alpha: -1 }), /alpha/],
    ['centered not boolean', () => new RMSprop([p()], { centered: 1 as never }), /centered/],
    ['unknown option', () => new Adam([p()], { beta1: 0.9 } as never), /unknown option 'beta1'/],
    [
      'unknown optimizer name',
      () => createOptimizer('adamax' as never, [p()]),
      /'sgd', 'momentum'/,
    ],
    [
      'scheduler on a non-optimizer',
      () => new StepLR({} as never, { stepSize: 1 }),
      /an Optimizer/,
    ],
    [
      'non-integer stepSize',
      () => new StepLR(new SGD([p()], { lr: 1 }), { stepSize: 1.5 }),
      /stepSize/,
    ],
    [
      'onecycle without steps',
      () => new OneCycleLR(new SGD([p()], { lr: 1 }), { maxLr: 1 }),
      /totalSteps/,
    ],
    [
      'onecycle momentum on Adagrad',
      () => new OneCycleLR(new Adagrad([p()]), { maxLr: 1, totalSteps: 5, cycleMomentum: true }),
      /momentum or betas/,
    ],
    [
      'onecycle maxLr per group',
      () => new OneCycleLR(new SGD([p()], { lr: 1 }), { maxLr: [1, 2], totalSteps: 5 }),
      /1 values for maxLr/,
    ],
    [
      'linear startFactor 0',
      () => new LinearLR(new SGD([p()], { lr: 1 }), { startFactor: 0 }),
      /startFactor in \(0, 1\]/,
    ],
    [
      'plateau factor ≥ 1',
      () => new ReduceLROnPlateau(new SGD([p()], { lr: 1 }), { factor: 1 }),
      /factor < 1/,
    ],
    [
      'plateau unknown mode',
      () => new ReduceLROnPlateau(new SGD([p()], { lr: 1 }), { mode: 'up' as never }),
      /'min', 'max'/,
    ],
    [
      'sequential milestone count',
      () => {
        const o = new SGD([p()], { lr: 1 });
        return new SequentialLR(
          o,
          [new StepLR(o, { stepSize: 2 }), new StepLR(o, { stepSize: 3 })],
          [],
        );
      },
      /1 milestones/,
    ],
    [
      'sequential with another optimizer',
      () => {
        const o = new SGD([p()], { lr: 1 });
        const other = new SGD([p()], { lr: 1 });
        return new SequentialLR(
          o,
          [new StepLR(o, { stepSize: 2 }), new StepLR(other, { stepSize: 3 })],
          [2],
        );
      },
      /another optimizer/,
    ],
    [
      'chained with ReduceLROnPlateau',
      () => {
        const o = new SGD([p()], { lr: 1 });
        return new ChainedScheduler([new StepLR(o, { stepSize: 2 }), new ReduceLROnPlateau(o)]);
      },
      /plain schedule/,
    ],
    ['chained with nothing', () => new ChainedScheduler([]), /non-empty/],
  ];
  for (const [name, fn, re] of cases) {
    it(name, () => {
      let error: unknown;
      try {
        fn();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NerveError);
      expect((error as Error).message).toMatch(re);
    });
  }

  it('a failed addParamGroup leaves the optimizer unchanged', () => {
    const opt = new Adam([p()]);
    expect(() => opt.addParamGroup({ params: [p()], betas: [2, 0] })).toThrow(/betas/);
    expect(opt.paramGroups).toHaveLength(1);
  });

  it('OneCycleLR refuses to step past totalSteps', () => {
    const opt = new SGD([p()], { lr: 1 });
    const s = new OneCycleLR(opt, { maxLr: 1, totalSteps: 3 });
    for (let i = 0; i < 3; i++) s.step();
    expect(() => s.step()).toThrow(/at most 3 steps/);
    expect(s.lastEpoch).toBe(3);
  });
});

describe('createOptimizer', () => {
  const ps = (): Tensor[] => [zeros([2], { requiresGrad: true })];
  it('builds each optimizer by name', () => {
    expect(createOptimizer('sgd', ps(), { lr: 0.1 })).toBeInstanceOf(SGD);
    expect(createOptimizer('adagrad', ps())).toBeInstanceOf(Adagrad);
    expect(createOptimizer('rmsprop', ps())).toBeInstanceOf(RMSprop);
    expect(createOptimizer('adam', ps())).toBeInstanceOf(Adam);
    expect(createOptimizer('adamw', ps()).paramGroups[0].weightDecay).toBe(0.01);
    expect(createOptimizer('Adam' as never, ps())).toBeInstanceOf(Adam);
  });

  it("'momentum' and 'nesterov' are SGD with momentum 0.9", () => {
    const m = createOptimizer('momentum', ps(), { lr: 0.1 });
    expect(m).toBeInstanceOf(SGD);
    expect([m.paramGroups[0].momentum, m.paramGroups[0].nesterov]).toEqual([0.9, false]);
    const n = createOptimizer('nesterov', ps(), { lr: 0.1, weightDecay: 1e-4 });
    expect([
      n.paramGroups[0].momentum,
      n.paramGroups[0].nesterov,
      n.paramGroups[0].weightDecay,
    ]).toEqual([0.9, true, 1e-4]);
    expect(
      createOptimizer('momentum', ps(), { lr: 0.1, momentum: 0.5 }).paramGroups[0].momentum,
    ).toBe(0.5);
  });
});
