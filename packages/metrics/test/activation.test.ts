import '@nerve/backend-cpu';
import { memory, tensor, tidy } from '@nerve/core';
import type { Module } from '@nerve/layers';
import { describe, expect, it } from 'vitest';
import { ActivationMonitor } from '../src/index.js';
import { Act, Chain, Identity, Lin } from './helpers.js';

function run(model: Module, x: number[][] | number[][][][]): void {
  tidy(() => {
    model.call(tensor(x));
  });
}

const hooks = (m: Module): number => (m as unknown as { _hooks: Set<unknown> })._hooks.size;

describe('ActivationMonitor', () => {
  it('finds activation modules and reports 100% dead units behind a bias of −100', () => {
    const relu = new Act('relu');
    const model = new Chain(
      new Lin(
        [
          [1, 0],
          [0, 1],
          [1, 1],
        ],
        [-100, -100, -100],
      ),
      relu,
    );
    const mon = new ActivationMonitor();
    mon.attach(model);
    expect(hooks(relu)).toBe(1);
    for (let i = 0; i < 3; i++)
      run(model, [
        [1, 2],
        [-3, 5],
      ]);
    const r = mon.endEpoch();
    expect(r['activation/layer/1/dead']).toBe(1);
    expect(r['activation/deadMax']).toBe(1);
    expect(r['activation/layer/1/mean']).toBe(0);
    expect(r['activation/layer/1/std']).toBe(0);
    expect(r['activation/layer/1/saturated']).toBeUndefined();
    expect(mon.lastEpoch['1'].units).toBe(3);
    mon.detach();
    expect(hooks(relu)).toBe(0);
  });

  it('counts a unit alive once it is positive anywhere in the epoch (features and channels)', () => {
    const relu = new Act('relu');
    const mon = new ActivationMonitor();
    mon.attach(new Chain(relu));
    // Features: unit 0 positive in the second batch only, unit 1 never, unit 2 always.
    run(relu, [[-1, -1, 1]]);
    run(relu, [[2, 0, 1]]);
    expect(mon.endEpoch()['activation/layer/0/dead']).toBeCloseTo(1 / 3, 12);
    // Channels of [N, C, H, W]: channel 1 never positive, channel 0 in one pixel of sample 1.
    const x = [
      [
        [
          [-1, -1],
          [-1, -1],
        ],
        [
          [-1, -2],
          [0, -1],
        ],
        [
          [1, 1],
          [1, 1],
        ],
      ],
      [
        [
          [-1, -1],
          [-1, 3],
        ],
        [
          [-1, -2],
          [0, -1],
        ],
        [
          [1, 1],
          [1, 1],
        ],
      ],
    ];
    run(relu, x);
    const r = mon.endEpoch();
    expect(r['activation/layer/0/dead']).toBeCloseTo(1 / 3, 12);
    expect(mon.lastEpoch['0'].units).toBe(3);
    mon.detach();
  });

  it('reports saturation of sigmoid and tanh with the 0.02 margin', () => {
    const sig = new Act('sigmoid');
    const tanh = new Act('tanh');
    const mon = new ActivationMonitor();
    mon.attach(new Chain(sig, tanh));
    // Huge inputs: every sigmoid output is within 0.02 of 0 or 1.
    run(sig, [[100, -100, 50, -60]]);
    // tanh(3) = 0.995 and tanh(-3) are saturated; tanh(2) = 0.964 and tanh(0) are not.
    run(tanh, [[0, 3, -3, 2]]);
    const r = mon.endEpoch();
    expect(r['activation/layer/0/saturated']).toBe(1);
    expect(r['activation/layer/1/saturated']).toBe(0.5);
    expect(r['activation/saturatedMax']).toBe(1);
    expect(r['activation/layer/0/dead']).toBeUndefined();
    // sigmoid(4) = 0.982 is saturated, sigmoid(3.8) = 0.978 is not.
    run(sig, [[4, 3.8, 0, -4]]);
    expect(mon.endEpoch()['activation/layer/0/saturated']).toBe(0.5);
    mon.detach();
  });

  it('computes mean, std and a fixed-bin histogram over the whole epoch', () => {
    const id = new Identity();
    const mon = new ActivationMonitor({ modules: ['0'], range: [-2, 2], bins: 4 });
    mon.attach(new Chain(id));
    run(id, [[-1, 0, 1, 2]]);
    run(id, [[4, -3]]);
    const r = mon.endEpoch();
    // Values −1 0 1 2 4 −3: mean 0.5, population variance 29.5/6.
    expect(r['activation/layer/0/mean']).toBeCloseTo(0.5, 6);
    expect(r['activation/layer/0/std']).toBeCloseTo(Math.sqrt(29.5 / 6), 6);
    // Bins [−2,−1) [−1,0) [0,1) [1,2]: the upper edge belongs to the last bin.
    expect([0, 1, 2, 3].map((i) => r[`activation/layer/0/hist/${i}`])).toEqual([
      0,
      1 / 6,
      1 / 6,
      2 / 6,
    ]);
    expect(r['activation/layer/0/hist/under']).toBe(1 / 6);
    expect(r['activation/layer/0/hist/over']).toBe(1 / 6);
    expect(mon.lastEpoch['0'].histogram.edges).toEqual([-2, -1, 0, 1, 2]);
    expect(mon.lastEpoch['0'].activation).toBeNull();
    mon.detach();
  });

  it('ignores eval-mode calls and samples every k calls', () => {
    const relu = new Act('relu');
    const model = new Chain(relu);
    const mon = new ActivationMonitor({ every: 2 });
    mon.attach(model);
    model.eval();
    run(model, [[5]]);
    expect(mon.endEpoch()).toEqual({});
    model.train();
    run(model, [[-1]]); // call 0: measured
    run(model, [[5]]); // call 1: skipped
    run(model, [[-2]]); // call 2: measured
    const r = mon.endEpoch();
    expect(r['activation/layer/0/mean']).toBe(0);
    expect(r['activation/layer/0/dead']).toBe(1);
    mon.detach();
  });

  it('keeps memory flat over 50 steps and stops measuring after detach', () => {
    const relu = new Act('relu');
    const sig = new Act('sigmoid');
    const model = new Chain(new Lin([[1, -1]], [0.5]), relu, sig);
    const mon = new ActivationMonitor();
    mon.attach(model);
    run(model, [[1, 2]]);
    const n0 = memory().numTensors;
    for (let i = 0; i < 50; i++) {
      run(model, [[i, 1]]);
      expect(memory().numTensors).toBe(n0);
    }
    mon.endEpoch();
    mon.detach();
    expect(hooks(relu) + hooks(sig)).toBe(0);
    run(model, [[1, 2]]);
    expect(mon.endEpoch()).toEqual({});
  });

  it('rejects models without activation modules, unknown names and bad options', () => {
    expect(() => new ActivationMonitor().attach(new Chain(new Identity()))).toThrow(
      /no activation modules/,
    );
    expect(() =>
      new ActivationMonitor({ modules: ['7'] }).attach(new Chain(new Identity())),
    ).toThrow(/\[7\]/);
    expect(() => new ActivationMonitor({ bins: 0 })).toThrow(/bins/);
    expect(() => new ActivationMonitor({ range: [1, 1] })).toThrow(/range/);
    const mon = new ActivationMonitor();
    const model = new Chain(new Act('tanh'));
    mon.attach(model);
    expect(() => mon.attach(model)).toThrow(/already attached/);
    mon.detach();
  });
});
