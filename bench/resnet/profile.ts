/**
 * Where one ResNet-18 step of `pnpm bench:resnet` spends its time on nerve's
 * CPU backend: every backend call of one step (after a warm-up step) timed
 * and grouped by kernel and operation (conv by shape), the rest of the step
 * (autograd, views, JavaScript between kernels) shown as "outside the
 * backend". The backend's kernels are synchronous, so a call's wall time is
 * its kernel's time.
 *   pnpm tsx --conditions=@nerve/source bench/resnet/profile.ts [--top 25]
 */
import os from 'node:os';
import { SETUP } from './protocol.js';
import { trainingSetup } from './resnet18.js';

const topArg = process.argv.indexOf('--top');
const top = topArg > 0 ? Number(process.argv[topArg + 1]) : 25;

const core = await import('@nerve/core');
const cpu = await import('@nerve/backend-cpu');
await cpu.threadsReady();
await core.ready('cpu');
core.setBackend('cpu');
const backend = core.getBackend('cpu') as unknown as Record<string, unknown>;

const { batch, size } = SETUP;
const { source, step } = await trainingSetup();

interface Conv {
  batch: number;
  inChannels: number;
  outChannels: number;
  inHeight: number;
  kernelHeight: number;
  strideH: number;
  outHeight: number;
  outWidth: number;
}
/** What a call is grouped under: the kernel, and its operation or conv shape. */
function keyOf(method: string, args: unknown[]): string {
  if (typeof args[0] === 'string') return `${method} ${args[0]}`;
  if (method.startsWith('conv2d') || method.endsWith('Pool2d') || method.endsWith('Backward')) {
    const p = args[2] ?? args[1];
    const c = p as Partial<Conv>;
    if (c && typeof c === 'object' && c.inChannels !== undefined) {
      return `${method} ${c.inChannels}→${c.outChannels} k${c.kernelHeight} s${c.strideH} ${c.inHeight}²→${c.outHeight}²`;
    }
  }
  return method;
}

/** Multiply-adds of a conv call (forward, and each of the two backward products alike). */
function convMacs(args: unknown[]): number {
  const c = (args[2] ?? args[1]) as Conv;
  return c.batch * c.outChannels * c.outHeight * c.outWidth * c.inChannels * c.kernelHeight ** 2;
}

console.log(
  `profile: ResNet-18 (${source}) forward + backward, batch ${batch}, ${size}², cpu backend, ` +
    `${cpu.getThreads()} threads, kernel mode ${cpu.getKernelMode()}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
await step(); // warm-up: kernels compiled, buffer pool filled

const stats = new Map<string, { ms: number; calls: number; macs: number }>();
const names = new Set<string>();
for (
  let p = Object.getPrototypeOf(backend);
  p && p !== Object.prototype;
  p = Object.getPrototypeOf(p)
) {
  for (const k of Object.getOwnPropertyNames(p)) {
    if (k !== 'constructor' && typeof Object.getOwnPropertyDescriptor(p, k)?.value === 'function')
      names.add(k);
  }
}
let depth = 0;
for (const name of names) {
  const fn = backend[name] as (...a: unknown[]) => unknown;
  backend[name] = (...args: unknown[]) => {
    // Only outermost calls: a kernel calling another method (own, alloc) is counted once.
    if (depth > 0) return fn.apply(backend, args);
    depth++;
    const t0 = performance.now();
    try {
      return fn.apply(backend, args);
    } finally {
      depth--;
      const key = keyOf(name, args);
      const s = stats.get(key) ?? { ms: 0, calls: 0, macs: 0 };
      s.ms += performance.now() - t0;
      s.calls++;
      if (name.startsWith('conv2d')) s.macs += convMacs(args);
      stats.set(key, s);
    }
  };
}
const t0 = performance.now();
await step();
const total = performance.now() - t0;
for (const name of names) delete backend[name];

const inBackend = [...stats.values()].reduce((a, s) => a + s.ms, 0);
const rows = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms);
console.log(
  `\none step ${(total / 1000).toFixed(2)} s; in backend kernels ${(inBackend / 1000).toFixed(2)} s, outside the backend ${((total - inBackend) / 1000).toFixed(2)} s\n`,
);
console.log('| kernel | calls | ms | % of step | GFLOP/s |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [key, s] of rows.slice(0, top)) {
  const gflops = s.macs ? ((2 * s.macs) / (s.ms / 1000) / 1e9).toFixed(1) : '';
  console.log(
    `| ${key} | ${s.calls} | ${s.ms.toFixed(0)} | ${((100 * s.ms) / total).toFixed(1)} | ${gflops} |`,
  );
}
const byMethod = new Map<string, number>();
for (const [key, s] of stats) {
  const m = key.split(' ')[0];
  byMethod.set(m, (byMethod.get(m) ?? 0) + s.ms);
}
console.log(
  '\nby kernel: ' +
    [...byMethod.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([m, ms]) => `${m} ${(ms / 1000).toFixed(2)} s`)
      .join(', '),
);
process.exit(0);
