/**
 * Matmul GFLOP/s on the CPU: nerve's `cpu` backend next to
 * @tensorflow/tfjs-backend-cpu, same process, same shapes, alternating runs.
 *   pnpm bench:matmul [-- --sizes 128,256,512,1024 --seconds 1]
 * Prints medians and the ratio nerve / tfjs. Numbers drift with machine load:
 * compare ratios from one run, not absolute values across runs.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { matmul, randn, tidy } from '@nerve/core';
import '@nerve/backend-cpu';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const sizes = arg('sizes', '128,256,512,1024').split(',').map(Number);
const budget = Number(arg('seconds', '1.5'));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Times `fn` repeatedly (at least 3 runs, about `budget` seconds); returns the median in seconds. */
function time(fn: () => void, budgetS: number): number {
  fn(); // warm-up: JIT and scratch buffers
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start) / 1000 < budgetS) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
    if (times.length >= 50) break;
  }
  return median(times);
}

await tf.setBackend('cpu');
await tf.ready();

const rows: string[][] = [['size', 'nerve cpu GFLOP/s', 'tfjs-cpu GFLOP/s', 'ratio']];
for (const n of sizes) {
  const flops = 2 * n * n * n;
  const a = randn([n, n], { seed: 1 });
  const b = randn([n, n], { seed: 2 });
  const ta = tf.randomNormal([n, n]);
  const tb = tf.randomNormal([n, n]);
  const nerveTimes: number[] = [];
  const tfTimes: number[] = [];
  // Alternate the libraries so drifting machine load affects both alike.
  for (let round = 0; round < 3; round++) {
    nerveTimes.push(time(() => tidy(() => void matmul(a, b).dataSync()), budget / 3));
    tfTimes.push(
      time(() => {
        const c = tf.matMul(ta, tb);
        c.dataSync();
        c.dispose();
      }, budget / 3),
    );
  }
  const g1 = flops / median(nerveTimes) / 1e9;
  const g2 = flops / median(tfTimes) / 1e9;
  rows.push([String(n), g1.toFixed(2), g2.toFixed(2), `${(g1 / g2).toFixed(1)}×`]);
  a.dispose();
  b.dispose();
  ta.dispose();
  tb.dispose();
}

const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log(r.map((v, c) => v.padStart(widths[c])).join('  '));
