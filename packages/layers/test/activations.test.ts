import '@nerve/backend-cpu';
import { randn, tensor, tidy } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import {
  ACTIVATION_NAMES,
  Activation,
  type ELU,
  GELU,
  LeakyReLU,
  Linear,
  Maxout,
  PReLU,
  ReLU,
  Softplus,
  activationModule,
} from '../src/index.js';

describe('activation modules', () => {
  it('each names its function, and activationModule builds it by that name', () => {
    const expected = [
      'identity',
      'sigmoid',
      'tanh',
      'relu',
      'leakyRelu',
      'prelu',
      'elu',
      'selu',
      'gelu',
      'silu',
      'softplus',
      'maxout',
    ];
    expect([...ACTIVATION_NAMES]).toEqual(expected);
    for (const name of expected.filter((n) => n !== 'maxout')) {
      const m = activationModule(name);
      expect(m).toBeInstanceOf(Activation);
      expect(m.activation).toBe(name);
    }
    expect(new Maxout(2, 2).activation).toBe('maxout');
  });

  it('accepts PyTorch-style spellings and rejects unknown names', () => {
    expect(activationModule('leaky_relu')).toBeInstanceOf(LeakyReLU);
    expect(activationModule('ReLU')).toBeInstanceOf(ReLU);
    expect(activationModule('PReLU')).toBeInstanceOf(PReLU);
    expect(() => activationModule('swishy')).toThrow(
      /activationModule: expected one of 'identity', .*'softplus', received "swishy"/,
    );
    expect(() => activationModule('maxout')).toThrow(
      /new Maxout\(inFeatures, outFeatures, pieces\)/,
    );
  });

  it('uses PyTorch’s default arguments', () => {
    expect((activationModule('leakyRelu') as LeakyReLU).negativeSlope).toBe(0.01);
    expect((activationModule('elu') as ELU).alpha).toBe(1);
    expect((activationModule('gelu') as GELU).approximate).toBe('none');
    expect((activationModule('softplus') as Softplus).beta).toBe(1);
    const p = activationModule('prelu') as PReLU;
    expect(p.weight.arraySync()).toEqual([0.25]);
  });

  it('validates arguments', () => {
    expect(() => new PReLU(0)).toThrow(/PReLU: expected numParameters as an integer ≥ 1/);
    expect(() => new Softplus(0)).toThrow(/Softplus: expected a finite beta > 0/);
    expect(() => new GELU('erf' as never)).toThrow(/GELU: expected approximate 'none' or 'tanh'/);
    const p = new PReLU(3);
    expect(() => p.call(randn([2, 4, 5]))).toThrow(
      /PReLU: expected an input with 3 channels in dimension 1/,
    );
  });

  it('PReLU learns its slope: d/da = Σ min(0, x)·dy', () => {
    const p = new PReLU();
    tidy(() => {
      const y = p.call(tensor([-2, 3, -0.5]));
      expect(y.arraySync()).toEqual([-0.5, 3, -0.125]);
      y.sum().backward();
    });
    expect(p.weight.grad!.arraySync()).toEqual([-2.5]);
    p.dispose();
  });
});

describe('Maxout', () => {
  it('k = 2 doubles the parameters of a Linear with the same sizes; k pieces multiply them by k', () => {
    const plain = new Linear(10, 4);
    expect(new Maxout(10, 4).numParameters()).toBe(2 * plain.numParameters());
    expect(new Maxout(10, 4, 3).numParameters()).toBe(3 * plain.numParameters());
    expect(new Maxout(10, 4).namedParameters().map(([n, t]) => [n, t.shape])).toEqual([
      ['linear.weight', [8, 10]],
      ['linear.bias', [8]],
    ]);
  });

  it('takes the maximum over consecutive groups of k linear outputs', () => {
    const m = new Maxout(2, 2, 2);
    // Rows of W: unit 0 uses rows 0, 1; unit 1 uses rows 2, 3.
    tidy(() =>
      m.loadStateDict({
        'linear.weight': tensor([
          [1, 0],
          [0, 1],
          [-1, 0],
          [0, -1],
        ]),
        'linear.bias': tensor([0, 0, 0, 0.5]),
      }),
    );
    const y = tidy(() =>
      m
        .call(
          tensor([
            [3, -2],
            [-1, 4],
          ]),
        )
        .arraySync(),
    );
    expect(y).toEqual([
      [3, 2.5],
      [4, 1],
    ]);
    expect(tidy(() => m.call(randn([2, 3, 2])).shape)).toEqual([2, 3, 2]);
  });
});
