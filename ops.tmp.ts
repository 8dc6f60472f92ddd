import '@nerve/backend-cpu';
import * as core from '@nerve/core';
await core.ready('cpu');
const r = (s: number[]) => core.keep(core.tensor(Float32Array.from({ length: s.reduce((a, b) => a * b) }, () => Math.random() - 0.5), { shape: s }));
const x = r([32, 64]), W = r([128, 64]), b = r([128]), h = r([32, 128]);
const Wt = core.keep(core.transpose(W));
const cases: [string, () => unknown][] = [
  ['matmul x·Wᵀ 32×64·64×128', () => core.matmul(x, Wt)],
  ['add bias [32,128]+[128]', () => core.add(h, b)],
  ['relu [32,128]', () => core.relu(h)],
  ['mul [32,128]', () => core.mul(h, h)],
  ['sum axis0 [32,128]', () => core.sum(h, 0)],
  ['transpose view', () => core.transpose(W)],
];
for (const [name, f] of cases) {
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage();
    core.tidy(() => { for (let i = 0; i < 2000; i++) f(); });
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 2000);
  }
  console.log(name.padEnd(30), best.toFixed(2), 'µs');
}
