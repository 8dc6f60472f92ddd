/**
 * Bit checks for issue 16's batch-norm and sum kernels: a batch-norm CNN
 * (the bench CNN with BatchNorm2d after each conv) and the bench MLP trained
 * N steps from the same seed with the SIMD passes on and off (the off side
 * runs the earlier JavaScript loops); prints each loss and the sha256 of the
 * parameters' float32 bits. Run under --threads 1, 2, 3 and NERVE_CPU_HEAP=0
 * to compare across thread counts and the heap switch:
 *   node --import tsx --conditions=@nerve/source scripts/simd-bits.ts [--steps 20] [--threads 1]
 */
import { createHash } from 'node:crypto';
import * as core from '@nerve/core';
import { Linear, ReLU, Sequential } from '@nerve/layers';
import { SGD } from '@nerve/optim';
import { setThreads, threadsReady } from '../src/index.js';
import { setBatchNormSimdDisabled } from '../src/kernels/batchnorm-simd.js';
import { setReduceSimdDisabled } from '../src/kernels/reduce-simd.js';
import { arg, batchNormCnn, labels, trainStep } from './bn-cnn.js';

const steps = Number(arg('steps', '20'));
setThreads(Number(arg('threads', '1')));
await threadsReady();
await core.ready('cpu');
core.setBackend('cpu');

function data(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function train(kind: 'bn-cnn' | 'mlp'): string {
  core.manualSeed(7);
  const model =
    kind === 'bn-cnn'
      ? batchNormCnn()
      : new Sequential(
          new Linear(784, 256),
          new ReLU(),
          new Linear(256, 128),
          new ReLU(),
          new Linear(128, 10),
        );
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const n = kind === 'bn-cnn' ? 64 : 128;
  const shape = kind === 'bn-cnn' ? [n, 1, 28, 28] : [n, 784];
  const x = core.keep(core.tensor(data(n * 784, 3), { shape }));
  const y = labels(n);
  let loss = 0;
  for (let i = 0; i < steps; i++) loss = trainStep(model, opt, x, y);
  const hash = createHash('sha256');
  for (const p of model.parameters()) hash.update(new Uint8Array(p.dataSync().slice().buffer));
  for (const p of model.parameters()) p.dispose();
  x.dispose();
  y.dispose();
  return `loss ${loss} params ${hash.digest('hex').slice(0, 16)}`;
}

for (const kind of ['bn-cnn', 'mlp'] as const) {
  const on = train(kind);
  setBatchNormSimdDisabled(true);
  setReduceSimdDisabled(kind !== 'bn-cnn');
  const off = train(kind);
  setBatchNormSimdDisabled(false);
  setReduceSimdDisabled(false);
  const what = kind === 'bn-cnn' ? 'batch-norm SIMD' : 'sum SIMD';
  console.log(`${kind} ${steps} steps, ${what} on:  ${on}`);
  console.log(
    `${kind} ${steps} steps, ${what} off: ${off}  ${on === off ? 'same bits' : 'DIFFERENT'}`,
  );
}
// The fused cross-entropy changes the arithmetic (one float64 pass instead of float32
// log-softmax, gather and mean): how far the loss moves after the same steps.
for (const kind of ['mlp', 'bn-cnn'] as const) {
  const fused = train(kind);
  const composed = core.withoutOptionalKernels(
    () => train(kind),
    ['softmaxCrossEntropy', 'softmaxCrossEntropyBackward'],
  );
  console.log(`${kind} ${steps} steps, fused cross-entropy:    ${fused}`);
  console.log(`${kind} ${steps} steps, composed cross-entropy: ${composed}`);
}
process.exit(0);
