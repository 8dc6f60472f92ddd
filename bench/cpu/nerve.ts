/**
 * nerve's `cpu` backend for `pnpm bench:cpu`, through the public API a user
 * would write: @nerve/core ops for the matmuls (transposed operands as views,
 * as autograd passes them), @nerve/layers + @nerve/optim for training, one
 * step in `tidy` as packages/train/src/fit.ts does it.
 *   node --import tsx --conditions=@nerve/source bench/cpu/nerve.ts [--mode simd] [--threads 2]
 * --mode and --threads need the backend's setKernelMode / setThreads; without
 * them the process reports a skip.
 */
import { type Library, serve } from './child.js';
import { matmulCell, trainCell } from './nerve-cells.js';
import {
  type DepthwiseWorkload,
  type Workload,
  depthwiseShapes,
  sizeOf,
  uniform,
} from './workloads.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

type Core = typeof import('@nerve/core');

/**
 * Depthwise conv2d forward and y.backward(dy) for both gradients. The
 * per-group row hides the groupedConv2d kernels, so core runs one conv2d
 * per channel as it did before issue 14.
 */
function depthwiseCell(core: Core, w: DepthwiseWorkload) {
  const { weight, output } = depthwiseShapes(w);
  const x = core.keep(
    core.tensor(uniform(sizeOf(w.inputShape), w.inputSeed), { shape: w.inputShape }),
  );
  const k = core.keep(core.tensor(uniform(sizeOf(weight), w.weightSeed, 1 / 3), { shape: weight }));
  const dy = core.keep(core.tensor(uniform(sizeOf(output), w.gradSeed), { shape: output }));
  x.requiresGrad = true;
  k.requiresGrad = true;
  const opts = { stride: w.stride, padding: w.padding, groups: w.inputShape[1] };
  const hide = w.perGroup
    ? ['groupedConv2d', 'groupedConv2dBackwardInput', 'groupedConv2dBackwardFilter']
    : [];
  const run = <T>(fn: () => T): T => core.withoutOptionalKernels(fn, hide);
  const step = () =>
    run(() =>
      core.tidy(() => {
        core.conv2d(x, k, opts).backward(dy);
        k.grad?.dataSync();
        for (const t of [x, k]) {
          t.grad?.dispose();
          t.grad = null;
        }
      }),
    );
  const check = run(() =>
    core.tidy(() => core.sum(core.mul(core.conv2d(x, k, opts), dy)).dataSync()[0]),
  );
  return { step, check };
}

interface CpuControls {
  setKernelMode?: (mode: string) => unknown;
  getKernelMode?: () => string;
  setThreads?: (n: number) => unknown;
  getThreads?: () => number;
  threadsReady?: () => Promise<number>;
}

async function load(): Promise<Library | string> {
  const core = await import('@nerve/core');
  const backend = (await import('@nerve/backend-cpu')) as CpuControls;
  const mode = arg('mode');
  const threads = arg('threads');
  if (mode !== undefined) {
    if (typeof backend.setKernelMode !== 'function') return 'this build has no setKernelMode';
    await backend.setKernelMode(mode);
  }
  if (threads !== undefined) {
    if (typeof backend.setThreads !== 'function') return 'this build has no setThreads';
    await backend.setThreads(Number(threads));
    await backend.threadsReady?.();
  }
  await core.ready('cpu');
  core.setBackend('cpu');
  // What the backend actually runs: setThreads falls back to 1 where workers can't share memory.
  const kernelMode = backend.getKernelMode?.();
  const threadCount = backend.getThreads?.();
  const settings = [
    kernelMode && `kernel mode ${kernelMode}`,
    threadCount !== undefined && `${threadCount} thread${threadCount === 1 ? '' : 's'}`,
  ].filter(Boolean);
  return {
    info: `nerve cpu backend${settings.length ? ` (${settings.join(', ')})` : ''}`,
    prepare: async (w: Workload) =>
      w.kind === 'matmul'
        ? await matmulCell(core, w)
        : w.kind === 'depthwise'
          ? depthwiseCell(core, w)
          : await trainCell(core, w),
  };
}

await serve(load);
