/** Fused sgdUpdate / adamUpdate alone on 200 704 elements (median ms). */
import { recycle } from '../src/alloc.js';
import { adamUpdate, sgdUpdate } from '../src/kernels/optim.js';

const n = 200704;
const p = new Float32Array(n).map(() => Math.random());
const g = new Float32Array(n).map(() => Math.random() - 0.5);
const m = new Float32Array(n);
const v = new Float32Array(n);
function med(name: string, f: () => Float32Array[]): void {
  const xs: number[] = [];
  for (let i = 0; i < 60; i++) {
    const t = performance.now();
    const out = f();
    xs.push(performance.now() - t);
    for (const o of out) recycle(o);
  }
  xs.sort((a, b) => a - b);
  console.log(name.padEnd(24), xs[30].toFixed(3), 'ms');
}
const sgd = { size: n, lr: 0.01, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false };
med('sgd plain', () => [sgdUpdate(p, g, null, sgd).param]);
med('sgd momentum', () => {
  const r = sgdUpdate(p, g, m, { ...sgd, momentum: 0.9 });
  return [r.param, r.momentumBuffer as Float32Array];
});
const adam = {
  size: n,
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  decoupledWeightDecay: false,
  amsgrad: false,
  step: 3,
};
med('adam', () => {
  const r = adamUpdate(p, g, m, v, null, adam);
  return [r.param, r.expAvg, r.expAvgSq];
});
