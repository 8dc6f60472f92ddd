/**
 * Small local modules and a hand-written SGD step, so the monitors can be
 * tested without @nerve/layers' layers or @nerve/optim.
 */
import { type NestedArray, type Tensor, noGrad, tensor, tidy } from '@nerve/core';
import { Module } from '@nerve/layers';

/** y = x·Wᵀ + b with given weights. */
export class Lin extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(w: NestedArray, b: NestedArray) {
    super();
    this.weight = this.registerParameter('weight', tensor(w));
    this.bias = this.registerParameter('bias', tensor(b));
  }
  forward(x: Tensor): Tensor {
    return x.matmul(this.weight.mT).add(this.bias);
  }
}

/** An activation module as @nerve/layers defines them: a `readonly activation` name. */
export class Act extends Module {
  constructor(readonly activation: string) {
    super();
  }
  forward(x: Tensor): Tensor {
    switch (this.activation) {
      case 'sigmoid':
        return x.sigmoid();
      case 'tanh':
        return x.tanh();
      case 'relu':
        return x.relu();
      case 'leakyRelu':
        return x.leakyRelu(0.01);
      default:
        throw new Error(`no ${this.activation}`);
    }
  }
}

/** Passes its input through; has no `activation` property. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x.clone();
  }
}

/** Runs children in order. */
export class Chain extends Module {
  constructor(...layers: Module[]) {
    super();
    for (const [i, l] of layers.entries()) this.registerModule(String(i), l);
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (const [, l] of this.namedChildren()) y = l.call(y);
    return y;
  }
}

/** w ← w − lr·g for every parameter with a gradient (plain SGD). */
export function sgdStep(params: Tensor[], lr: number): void {
  noGrad(() =>
    tidy(() => {
      for (const p of params) if (p.grad) p.assign(p.sub(p.grad.mul(lr)));
    }),
  );
}

/** Forward, sum of outputs as the loss, backward; returns the loss. */
export function sumLossBackward(model: Module, x: NestedArray): number {
  model.zeroGrad();
  return tidy(() => {
    const loss = model.call(tensor(x)).sum();
    loss.backward();
    return loss.itemSync();
  });
}
