/**
 * The spiral dataset and a two-layer network trained on it with raw core
 * ops: no layers, no optimizer package, just tensors and autograd.
 *
 * The data is the classic three-armed spiral (see @nerve/data's makeSpiral).
 * A linear classifier reaches about 50% on it; one hidden ReLU layer separates it.
 */
import {
  type Tensor,
  add,
  argmax,
  eq,
  gather,
  keep,
  logSoftmax,
  matmul,
  mean,
  mul,
  noGrad,
  randn,
  relu,
  sub,
  sum,
  tidy,
  unsqueeze,
  zeros,
} from '@nerve/core';
import '@nerve/backend-cpu';
import { makeSpiral as makeSpiralDataset } from '@nerve/data';

export interface SpiralData {
  /** Points [classes·pointsPerClass, 2]. */
  x: Tensor;
  /** Labels [classes·pointsPerClass], int32. */
  y: Tensor;
}

/** The spiral from @nerve/data, as two plain tensors: the same seed gives the same points. */
export function makeSpiral(pointsPerClass = 100, classes = 3, seed = 0): SpiralData {
  const [x, y] = makeSpiralDataset({ pointsPerClass, classes, seed }).tensors;
  return { x, y };
}

export interface SpiralOptions {
  steps?: number;
  hidden?: number;
  learningRate?: number;
  /** L2 regularization strength on the weights. */
  reg?: number;
  seed?: number;
  /** Called after every step with the step number and the loss. */
  onStep?: (step: number, loss: number) => void;
}

export interface SpiralNet {
  w1: Tensor;
  b1: Tensor;
  w2: Tensor;
  b2: Tensor;
}

/** Logits of the two-layer network: relu(x·W1 + b1)·W2 + b2. */
export function forward(net: SpiralNet, x: Tensor): Tensor {
  return add(matmul(relu(add(matmul(x, net.w1), net.b1)), net.w2), net.b2);
}

/** Mean softmax cross-entropy of logits against int32 labels. */
export function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  const picked = gather(logSoftmax(logits, 1), 1, unsqueeze(labels, 1));
  return mul(mean(picked), -1);
}

/** Fraction of points whose highest logit is their label. */
export function accuracy(net: SpiralNet, data: SpiralData): number {
  return tidy(() => mean(eq(argmax(forward(net, data.x), 1), data.y)).itemSync());
}

/** Initialises the network: weights N(0, 0.01²) ("small random numbers"), zero biases. */
export function initNet(hidden: number, classes: number, seed: number): SpiralNet {
  const param = (t: Tensor) => {
    t.requiresGrad = true;
    return keep(t);
  };
  return {
    w1: param(randn([2, hidden], { seed, std: 0.01 })),
    b1: param(zeros([hidden])),
    w2: param(randn([hidden, classes], { seed: seed + 1, std: 0.01 })),
    b2: param(zeros([classes])),
  };
}

/** One step of full-batch gradient descent; returns the loss before the update. */
export function trainStep(net: SpiralNet, data: SpiralData, lr: number, reg: number): number {
  return tidy(() => {
    const params = [net.w1, net.b1, net.w2, net.b2];
    const dataLoss = crossEntropy(forward(net, data.x), data.y);
    const regLoss = mul(add(sum(mul(net.w1, net.w1)), sum(mul(net.w2, net.w2))), 0.5 * reg);
    const loss = add(dataLoss, regLoss);
    loss.backward();
    noGrad(() => {
      for (const p of params) {
        p.assign(sub(p, mul(p.grad!, lr)));
        p.grad!.dispose();
        p.grad = null;
      }
    });
    return loss.itemSync();
  });
}

/** Trains the network and returns it with its final training accuracy. */
export function trainSpiral(data: SpiralData, opts: SpiralOptions = {}) {
  const { steps = 2000, hidden = 100, learningRate = 1, reg = 1e-3, seed = 0 } = opts;
  const net = initNet(hidden, 3, seed);
  let loss = Number.NaN;
  for (let step = 1; step <= steps; step++) {
    loss = trainStep(net, data, learningRate, reg);
    opts.onStep?.(step, loss);
  }
  return { net, loss, accuracy: accuracy(net, data) };
}
