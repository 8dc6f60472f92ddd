/**
 * The backend's checks as one Node script, for a machine with a real GPU
 * (see build.sh): core's conformance suite on 'webgpu', this package's
 * elementwise, storage, training and pool tests, then a few timings.
 */
import '../conformance.test.js';
import '../elementwise.test.js';
import '../storage.test.js';
import '../context.test.js';
import '../training.test.js';
import '../cpu-agreement.test.js';
import '../subgroups-matmul.test.js';
import { add, getBackend, randn } from '@nerve/core';
import * as vitest from 'vitest';
import type { WebGpuBackend } from '../../src/index.js';

const t0 = performance.now();
// `vitest` is the stand-in of vitest-shim.ts in this bundle, which adds runAll.
const runAll = (vitest as unknown as { runAll: (log: (s: string) => void) => Promise<number[]> })
  .runAll;
const [passed, failed, skipped] = await runAll((line) => console.log(line));
const b = getBackend('webgpu') as WebGpuBackend;
console.log(JSON.stringify(b.describe()));

// Elementwise bandwidth: broadcast adds over 2^24 floats (each reads and writes 64 MiB).
const x = randn([4096, 4096], { seed: 1 });
const bias = randn([4096], { seed: 2 });
for (let rep = 0; rep < 3; rep++) {
  const iters = 20;
  const t1 = performance.now();
  let r = add(x, bias);
  for (let i = 1; i < iters; i++) {
    const next = add(r, bias);
    r.dispose();
    r = next;
  }
  b.flush();
  await b.ctx.device.queue.onSubmittedWorkDone();
  const s = (performance.now() - t1) / 1000;
  const gib = (iters * 128) / 1024 / s;
  console.log(`add [4096,4096]+[4096] x${iters}: ${gib.toFixed(1)} GiB/s (${s.toFixed(3)} s)`);
  r.dispose();
}
x.dispose();
bias.dispose();
console.log(
  `${passed} passed, ${failed} failed, ${skipped} skipped in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
process.exit(failed === 0 ? 0 : 1);
