import { setThreads, threadsReady } from '@nerve/backend-cpu';
import * as core from '@nerve/core';
import { Linear, ReLU, Sequential, crossEntropy } from '@nerve/layers';
import { Adam } from '@nerve/optim';
import { WORKLOADS, type TrainWorkload, labels, paramValues, sizeOf, uniform } from './bench/cpu/workloads.js';
const w = WORKLOADS.find((x) => x.name === 'digits') as TrainWorkload;
await setThreads(1); await threadsReady(); await core.ready('cpu'); core.setBackend('cpu');
const model = new Sequential(new Linear(64, 128), new ReLU(), new Linear(128, 64), new ReLU(), new Linear(64, 10));
const opt = new Adam(model.parameters(), { lr: 0.01 });
const x = core.keep(core.tensor(uniform(sizeOf(w.inputShape), 5), { shape: w.inputShape }));
const y = core.keep(core.tensor(labels(32, 6, 10)));
const t = [0, 0, 0, 0, 0];
const now = () => { const c = process.cpuUsage(); return c.user + c.system; };
const N = 3000;
for (let i = 0; i < N; i++) {
  const a = now();
  core.tidy(() => {
    const out = model.call(x);
    const b = now();
    const l = crossEntropy(out, y);
    const c = now();
    l.backward();
    const d = now();
    opt.step();
    opt.zeroGrad();
    const e = now();
    l.dataSync();
    if (i >= 500) { t[0] += b - a; t[1] += c - b; t[2] += d - c; t[3] += e - d; }
  });
}
const n = N - 500;
console.log(['forward', 'loss', 'backward', 'optim'].map((s, i) => `${s} ${(t[i] / n).toFixed(1)}µs`).join(', '), 'total', ((t[0] + t[1] + t[2] + t[3]) / n).toFixed(1));
