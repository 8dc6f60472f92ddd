/**
 * A tiny MLP written with core ops only (2 → hidden → classes, ReLU,
 * log-softmax cross-entropy, plain SGD), shared by the training tests.
 */
import {
  type Tensor,
  add,
  keep,
  logSoftmax,
  matmul,
  mean,
  mul,
  neg,
  noGrad,
  oneHot,
  randint,
  randn,
  relu,
  sub,
  sum,
  tidy,
} from '@nerve/core';

export interface Mlp {
  params: Tensor[];
  x: Tensor;
  y: Tensor;
}

/** Parameters and a fixed batch, all drawn from `seed` on the active backend. */
export function makeMlp(seed: number, batch = 32, inputs = 8, hidden = 16, classes = 4): Mlp {
  const w1 = keep(randn([inputs, hidden], { seed, std: 1 / Math.sqrt(inputs) }));
  const b1 = keep(randn([hidden], { seed: seed + 1, std: 0.1 }));
  const w2 = keep(randn([hidden, classes], { seed: seed + 2, std: 1 / Math.sqrt(hidden) }));
  const b2 = keep(randn([classes], { seed: seed + 3, std: 0.1 }));
  for (const p of [w1, b1, w2, b2]) p.requiresGrad = true;
  const x = keep(randn([batch, inputs], { seed: seed + 4 }));
  const y = keep(randint(0, classes, [batch], { seed: seed + 5 }));
  return { params: [w1, b1, w2, b2], x, y };
}

/** One forward/backward/SGD step inside tidy; returns the loss (kept: the caller disposes it). */
export function step(m: Mlp, lr: number): Tensor {
  return tidy(() => {
    const [w1, b1, w2, b2] = m.params;
    const h = relu(add(matmul(m.x, w1), b1));
    const logits = add(matmul(h, w2), b2);
    const target = oneHot(m.y, logits.shape[1]);
    const loss = neg(mean(sum(mul(logSoftmax(logits, -1), target), -1)));
    loss.backward();
    noGrad(() => {
      for (const p of m.params) {
        p.assign(sub(p, mul(p.grad!, lr)));
        p.grad!.dispose();
        p.grad = null;
      }
    });
    return loss.detach();
  });
}

/** Disposes every tensor of the model. */
export function disposeMlp(m: Mlp): void {
  for (const t of [...m.params, m.x, m.y]) t.dispose();
}
