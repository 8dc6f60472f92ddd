/**
 * Memory accounting: tidy scopes, forward + backward, composite ops that own
 * their graph's intermediates, errors inside tidy, views outliving their base.
 */
import { expect } from 'vitest';
import {
  type Tensor,
  add,
  conv2d,
  gather,
  getBackend,
  logSoftmax,
  logSumExp,
  matmul,
  maxPool2d,
  memory,
  randint,
  softmax,
  std,
  sum,
  tidy,
  variance,
  where,
} from '../index.js';
import { TOL, T, check, expectClose, expectThrows, uniform } from './harness.js';
import { host } from './reference.js';

export function registerMemory(): void {
  check('a batch of ops inside tidy leaves no tensors or backend buffers behind', async () => {
    const backend = getBackend();
    const before = memory();
    const buffers = backend.memory().buffers;
    tidy(() => {
      const x = T(uniform([2, 3, 4, 4], -1, 1, 'mem x'));
      const w = T(uniform([2, 3, 3, 3], -1, 1, 'mem w'));
      const y = conv2d(x, w, { padding: 1 }).maxPool2d(2).relu();
      const z = y.permute([0, 2, 3, 1]).reshape([2, -1]).softmax(-1);
      logSumExp(z.mT.matmul(z), [0, 1]);
      gather(x.flatten(1), 1, randint(0, 48, [2, 5]));
      sum(where(x.gt(0), x, x.mul(0.1)).slice([0, 1]).mT.contiguous(), [1, 3]).var();
      x.cast('int32').max(1).argmax(0);
    });
    const after = memory();
    expect(after.numTensors, 'tensors left by tidy').toBe(before.numTensors);
    expect(after.numBuffers, 'buffers left by tidy').toBe(before.numBuffers);
    expect(after.numBytes, 'bytes left by tidy').toBe(before.numBytes);
    expect(backend.memory().buffers, 'backend buffers left by tidy').toBe(buffers);
  });

  check('forward + backward inside tidy leaks nothing but the kept grads', async () => {
    const backend = getBackend();
    const start = memory().numTensors;
    const buffers = backend.memory().buffers;
    const x = T(uniform([2, 3, 5, 5], -1, 1, 'fb x'));
    const w = T(uniform([4, 3, 3, 3], -1, 1, 'fb w'));
    x.requiresGrad = true;
    w.requiresGrad = true;
    const leaves = memory().numTensors;
    tidy(() => {
      const y = conv2d(x, w, { stride: 2, padding: 1 }).avgPool2d(2, { stride: 1 });
      const loss = logSumExp(y.flatten(1).logSoftmax(-1), 1).mean().add(y.square().sum());
      loss.backward();
    });
    expect(
      memory().numTensors,
      'live tensors after backward: only x.grad and w.grad may remain',
    ).toBe(leaves + 2);
    expect(x.grad?.shape).toEqual([2, 3, 5, 5]);
    expect(w.grad?.shape).toEqual([4, 3, 3, 3]);
    x.dispose();
    w.dispose();
    expect(memory().numTensors, 'tensors after disposing the leaves').toBe(start);
    expect(backend.memory().buffers, 'backend buffers after disposing the leaves').toBe(buffers);
  });

  check("disposing a composite op's output frees the intermediates its graph owns", async () => {
    const x = T(uniform([3, 4], -1, 1, 'own'));
    const w = T(uniform([2, 3, 2, 2], -1, 1, 'own w'));
    x.requiresGrad = true;
    w.requiresGrad = true;
    const ops: [string, () => Tensor][] = [
      ['logSumExp', () => logSumExp(x, 1)],
      ['variance', () => variance(x, [0, 1])],
      ['std', () => std(x, 0)],
      ['softmax axis 0', () => softmax(x, 0)],
      ['logSoftmax', () => logSoftmax(x)],
      ['matmul 1-D', () => matmul(x, T(uniform([4], -1, 1, 'own v')))],
      ['conv2d', () => conv2d(x.reshape([1, 3, 2, 2]), w, { padding: 1 })],
      ['maxPool2d', () => maxPool2d(x.reshape([1, 1, 3, 4]), 2, { stride: 1 })],
    ];
    for (const [label, fn] of ops) {
      const before = memory().numTensors;
      // tidy disposes the operands made on the spot; the graph's intermediates belong to y.
      const y = tidy(fn);
      y.dispose();
      expect(memory().numTensors, `${label}: intermediates outlived their output`).toBe(before);
    }
    x.dispose();
    w.dispose();
  });

  check('an op that throws inside tidy leaks nothing; use after dispose throws', async () => {
    const before = memory().numTensors;
    expectThrows(
      () => add(T(uniform([2, 3], -1, 1, 't1')).exp(), T(uniform([3, 2], -1, 1, 't2')).exp()),
      ['add'],
      'throwing add',
    );
    expect(memory().numTensors).toBe(before);
    const x = T(uniform([2, 2], -1, 1, 'disp'));
    x.dispose();
    expect(() => x.add(1)).toThrow(/disposed/);
  });

  check('a view stays readable after its base is disposed', async () => {
    const h = uniform([2, 3], -1, 1, 'view alive');
    const x = T(h);
    const v = x.mT;
    x.dispose();
    const got = Float64Array.from(await v.data());
    expectClose(
      { shape: v.shape, data: got },
      host([h.data[0], h.data[3], h.data[1], h.data[4], h.data[2], h.data[5]], [3, 2]),
      TOL.exact,
      'view after base dispose',
    );
    v.dispose();
  });
}
