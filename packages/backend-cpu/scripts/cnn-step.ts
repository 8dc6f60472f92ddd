/**
 * The bench's CNN training step (bench/cpu: [64,1,28,28] → conv3×3 16 → ReLU →
 * maxpool 2 → conv3×3 32 → ReLU → maxpool 2 → dense 10, SGD), timed alone for
 * profiling: node --cpu-prof --import tsx --conditions=@nerve/source scripts/cnn-step.ts [steps] [threads]
 */
import * as core from '@nerve/core';
import { setThreads, threadsReady } from '../src/index.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, crossEntropy } from '@nerve/layers';
import { SGD } from '@nerve/optim';
import { paramsHash, timeSteps } from './bench-mlp.js';

const steps = Number(process.argv[2] ?? 100);
const threads = Number(process.argv[3] ?? 1);
setThreads(threads);
await threadsReady();
await core.ready('cpu');
core.setBackend('cpu');
const model = new Sequential(
  new Conv2d(1, 16, 3, { padding: 1 }),
  new ReLU(),
  new MaxPool2d(2),
  new Conv2d(16, 32, 3, { padding: 1 }),
  new ReLU(),
  new MaxPool2d(2),
  new Flatten(),
  new Linear(32 * 7 * 7, 10),
);
const opt = new SGD(model.parameters(), { lr: 0.01 });
const data = new Float32Array(64 * 784).map((_, i) => Math.sin(i * 0.37));
const x = core.keep(core.tensor(data, { shape: [64, 1, 28, 28] }));
const y = core.keep(
  core.tensor(
    Array.from({ length: 64 }, (_, i) => (i * 7) % 10),
    { dtype: 'int32' },
  ),
);
const timing = new Map<string, { ms: number; calls: number }>();
if (process.env.OPS) {
  const proto = (await import('../src/cpu-backend.js')).CpuBackend.prototype as unknown as Record<
    string,
    unknown
  >;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const f = proto[name];
    if (name === 'constructor' || typeof f !== 'function') continue;
    proto[name] = function (this: unknown, ...args: unknown[]) {
      const t = performance.now();
      const r = (f as (...a: unknown[]) => unknown).apply(this, args);
      const a0 = args[0] as { shape?: number[] } | string;
      const a1 = args[1] as { shape?: number[] };
      const tag =
        typeof a0 === 'string'
          ? `${name}:${a0} ${(a1?.shape ?? (args[3] as { shape?: number[] })?.shape ?? []).join('x')}`
          : name;
      const e = timing.get(tag) ?? { ms: 0, calls: 0 };
      e.ms += performance.now() - t;
      e.calls++;
      timing.set(tag, e);
      return r;
    };
  }
}
// NERVE_OPTIONAL_OFF=a,b: run the step without those optional kernels (their
// core fallbacks instead), for A/B timings in one build.
const off = process.env.NERVE_OPTIONAL_OFF?.split(',').filter((k) => k !== '');
const step = () => {
  if (off?.length) return core.withoutOptionalKernels(stepOnce, off);
  return stepOnce();
};
const stepOnce = () => {
  const loss = core.tidy(() => {
    const l = crossEntropy(model.call(x), y);
    l.backward();
    opt.step();
    opt.zeroGrad();
    return l.detach();
  });
  const v = loss.dataSync()[0];
  loss.dispose();
  return v;
};
for (let i = 0; i < 10; i++) step();
if (process.env.AB) {
  // In-process A/B, alternated, 3 rounds: "old" = the column-matrix conv tasks
  // without the fused bias (NERVE_CPU_CONV_IMPLICIT=0, conv2dBias off), "new" = the default.
  for (let round = 1; round <= 3; round++) {
    for (const variant of ['old', 'new'] as const) {
      process.env.NERVE_CPU_CONV_IMPLICIT = variant === 'old' ? '0' : '1';
      const run = () => {
        for (let i = 0; i < 5; i++) step();
        const w0 = performance.now();
        const u0 = process.cpuUsage();
        for (let i = 0; i < steps; i++) step();
        const u = process.cpuUsage(u0);
        return [(performance.now() - w0) / steps, (u.user + u.system) / 1000 / steps];
      };
      const [wall, cpuMs] =
        variant === 'old' ? core.withoutOptionalKernels(run, ['conv2dBias']) : run();
      console.log(
        `round ${round} ${variant} threads ${threads}: CPU ${cpuMs.toFixed(2)} ms/step, wall ${wall.toFixed(2)} ms/step`,
      );
    }
  }
  process.exit(0);
}
const { wallMs: ms, cpuMs: cpu, last } = timeSteps(steps, step);
const hash = paramsHash(model);
console.log(
  `threads ${threads}: ${ms.toFixed(2)} ms/step wall (${(1000 / ms).toFixed(1)} steps/s), ${cpu.toFixed(2)} ms/step process CPU, loss ${last}, params ${hash}`,
);
if (process.env.OPS) {
  const rows = [...timing].sort((a, b) => b[1].ms - a[1].ms);
  for (const [k, e] of rows)
    console.log(
      `${(e.ms / (steps + 10)).toFixed(3).padStart(8)} ms/step ${String(e.calls / (steps + 10)).padStart(4)} calls  ${k}`,
    );
}
process.exit(0);
