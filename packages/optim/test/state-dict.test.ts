/** stateDict / loadStateDict: copies, validation, and exact resumption. */
import '@nerve/backend-cpu';
import { type Tensor, memory, noGrad, randn, tensor, tidy, zeros } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import {
  Adam,
  type Optimizer,
  type OptimizerStateDict,
  type ParamGroupOptions,
  SGD,
} from '../src/index.js';
import { OPTIMIZERS, expectClose } from './helpers.js';

const CONFIGS: [keyof typeof OPTIMIZERS, Record<string, unknown>][] = [
  ['sgd', { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }],
  ['sgd', { lr: 0.05, momentum: 0.9, nesterov: true }],
  ['adagrad', { lr: 0.1, lrDecay: 0.1, initialAccumulatorValue: 0.1 }],
  ['rmsprop', { lr: 0.01, centered: true, momentum: 0.5 }],
  ['adam', { lr: 0.01, amsgrad: true, weightDecay: 0.01 }],
  ['adamw', { lr: 0.01, weightDecay: 0.1 }],
];

function makeParams(): Tensor[] {
  return [randn([3, 4], { seed: 1 }), randn([4], { seed: 2 })].map((t) => {
    t.requiresGrad = true;
    return t.keep();
  });
}

function build(kind: keyof typeof OPTIMIZERS, opts: Record<string, unknown>, params: Tensor[]) {
  const groups: ParamGroupOptions[] = [
    { params: [params[0]] },
    { params: [params[1]], lr: (opts.lr as number) / 2 },
  ];
  return OPTIMIZERS[kind](groups, opts);
}

/** One step on a loss whose gradient depends on the parameters (so state matters). */
function trainStep(opt: Optimizer, params: Tensor[], t: number): void {
  tidy(() => {
    const target = randn([3, 4], { seed: 100 + t });
    const loss = params[0]
      .sub(target)
      .square()
      .sum()
      .add(params[1].mul(params[0].sum(0)).sum().mul(0.1))
      .add(params[1].pow(4).sum());
    loss.backward();
  });
  opt.step();
  opt.zeroGrad();
}

/** Simulates a file: tensors to host arrays and back, the rest through JSON. */
function throughFile(sd: OptimizerStateDict): OptimizerStateDict {
  const state: OptimizerStateDict['state'] = {};
  for (const [k, entry] of Object.entries(sd.state)) {
    state[Number(k)] = Object.fromEntries(
      Object.entries(entry).map(([key, v]) => {
        if (typeof v === 'number') return [key, v];
        const t = tensor(Array.from(v.dataSync()), { shape: [...v.shape] }).keep();
        v.dispose();
        return [key, t];
      }),
    );
  }
  return { state, paramGroups: JSON.parse(JSON.stringify(sd.paramGroups)) };
}

const values = (ps: Tensor[]) => ps.map((p) => Array.from(p.dataSync()));

describe('resuming from a state dict equals never stopping', () => {
  for (const [kind, opts] of CONFIGS) {
    it(`${kind} ${JSON.stringify(opts)}`, () => {
      const straight = makeParams();
      const a = build(kind, opts, straight);
      for (let t = 0; t < 6; t++) trainStep(a, straight, t);

      const first = makeParams();
      const b = build(kind, opts, first);
      for (let t = 0; t < 3; t++) trainStep(b, first, t);
      const saved = throughFile(b.stateDict());
      const weights = values(first);
      b.disposeState();
      for (const p of first) p.dispose();

      const resumed = weights.map((w, i) =>
        tensor(w, { shape: i === 0 ? [3, 4] : [4], requiresGrad: true }).keep(),
      );
      const c = build(kind, { ...opts, lr: 123 }, resumed);
      c.loadStateDict(saved);
      for (const entry of Object.values(saved.state)) {
        for (const v of Object.values(entry)) if (typeof v !== 'number') v.dispose();
      }
      expect(c.paramGroups.map((g) => g.lr)).toEqual(a.paramGroups.map((g) => g.lr));
      for (let t = 3; t < 6; t++) trainStep(c, resumed, t);
      expect(values(resumed)).toEqual(values(straight));

      for (const o of [a, c]) o.disposeState();
      for (const p of [...straight, ...resumed]) p.dispose();
    });
  }
});

describe('stateDict', () => {
  it('uses PyTorch layout: indices through the groups, hyperparameters, copied tensors', () => {
    const p = [zeros([2], { requiresGrad: true }), zeros([3], { requiresGrad: true })];
    const opt = new Adam([{ params: [p[0]] }, { params: [p[1]], lr: 0.5 }], { lr: 0.1 });
    p[1].grad = tensor([1, 2, 3]);
    opt.step();
    const sd = opt.stateDict();
    expect(sd.paramGroups).toEqual([
      { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, params: [0] },
      { lr: 0.5, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, params: [1] },
    ]);
    expect(Object.keys(sd.state)).toEqual(['1']);
    expect(sd.state[1].step).toBe(1);
    const live = opt.state.get(p[1])!;
    const copy = sd.state[1].expAvg as Tensor;
    expect(copy).not.toBe(live.expAvg);
    const before = Array.from(copy.dataSync());
    opt.step();
    expect(Array.from(copy.dataSync()), 'the copy does not follow the live state').toEqual(before);
    (sd.paramGroups[0].betas as number[])[0] = 0;
    expect(opt.paramGroups[0].betas).toEqual([0.9, 0.999]);
    for (const v of Object.values(sd.state[1])) if (typeof v !== 'number') v.dispose();
    opt.disposeState();
  });

  it('lets the caller dispose the loaded tensors', () => {
    const p = zeros([2], { requiresGrad: true });
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    const buf = tensor([1, 2]);
    opt.loadStateDict({
      state: { 0: { momentumBuffer: buf } },
      paramGroups: opt.stateDict().paramGroups,
    });
    buf.dispose();
    p.grad = tensor([0, 0]);
    opt.step();
    // b ← 0.9·[1, 2] + 0; p ← 0 − 0.1·b
    expectClose(p.dataSync(), [-0.09, -0.18], 'after the step');
  });
});

describe('loadStateDict validates before changing anything', () => {
  function setup() {
    const p = [zeros([2, 2], { requiresGrad: true }), zeros([3], { requiresGrad: true })];
    const opt = new Adam([{ params: [p[0]] }, { params: [p[1]], lr: 0.5 }], { lr: 0.1 });
    p[0].grad = tensor([1, 2, 3, 4], { shape: [2, 2] });
    p[1].grad = tensor([1, 2, 3]);
    opt.step();
    return { p, opt };
  }
  const snapshot = (opt: Optimizer) =>
    noGrad(() => {
      const sd = opt.stateDict();
      const out = JSON.stringify({
        groups: sd.paramGroups,
        state: Object.entries(sd.state).map(([k, e]) => [
          k,
          Object.entries(e).map(([n, v]) => [
            n,
            typeof v === 'number' ? v : Array.from(v.dataSync()),
          ]),
        ]),
      });
      for (const e of Object.values(sd.state))
        for (const v of Object.values(e)) if (typeof v !== 'number') v.dispose();
      return out;
    });

  const cases: [string, (sd: OptimizerStateDict) => unknown, RegExp][] = [
    ['not an object', () => 42, /state dict/],
    ['too few groups', (sd) => ({ ...sd, paramGroups: sd.paramGroups.slice(1) }), /2 groups/],
    [
      'wrong param count',
      (sd) => ({
        ...sd,
        paramGroups: [{ ...sd.paramGroups[0], params: [0, 5] }, sd.paramGroups[1]],
      }),
      /1 parameter indices/,
    ],
    [
      'duplicate indices',
      (sd) => ({ ...sd, paramGroups: [sd.paramGroups[0], { ...sd.paramGroups[1], params: [0] }] }),
      /distinct/,
    ],
    [
      'bad hyperparameter',
      (sd) => ({ ...sd, paramGroups: [{ ...sd.paramGroups[0], lr: -1 }, sd.paramGroups[1]] }),
      /lr/,
    ],
    [
      'bad betas',
      (sd) => ({
        ...sd,
        paramGroups: [{ ...sd.paramGroups[0], betas: [0.9, 1] }, sd.paramGroups[1]],
      }),
      /betas\[1\]/,
    ],
    [
      'missing hyperparameter',
      (sd) => ({ ...sd, paramGroups: [{ params: [0], lr: 0.1 }, sd.paramGroups[1]] }),
      /weightDecay/,
    ],
    [
      'state for an unknown index',
      (sd) => ({ ...sd, state: { ...sd.state, 7: sd.state[0] } }),
      /indices/,
    ],
    [
      'unknown state key',
      (sd) => ({
        ...sd,
        state: { ...sd.state, 1: { ...sd.state[1], velocity: sd.state[1].expAvg } },
      }),
      /velocity/,
    ],
    [
      'missing state key',
      (sd) => ({ ...sd, state: { ...sd.state, 1: { step: 1, expAvg: sd.state[1].expAvg } } }),
      /expAvgSq/,
    ],
    [
      'wrong state shape',
      (sd) => ({ ...sd, state: { 0: sd.state[1], 1: sd.state[1] } }),
      /shape \[2,2\]/,
    ],
    [
      'non-finite step',
      (sd) => ({ ...sd, state: { ...sd.state, 1: { ...sd.state[1], step: Number.NaN } } }),
      /step/,
    ],
  ];

  for (const [name, mutate, message] of cases) {
    it(name, () => {
      const { p, opt } = setup();
      const before = snapshot(opt);
      const live = memory().numTensors;
      const sd = opt.stateDict();
      expect(() => opt.loadStateDict(mutate(sd) as OptimizerStateDict)).toThrow(message);
      expect(snapshot(opt)).toBe(before);
      for (const e of Object.values(sd.state))
        for (const v of Object.values(e)) if (typeof v !== 'number') v.dispose();
      expect(memory().numTensors).toBe(live);
      opt.disposeState();
      for (const t of p) t.dispose();
    });
  }
});
