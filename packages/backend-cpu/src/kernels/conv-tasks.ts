/**
 * What the batched conv paths (conv-batch.ts: column matrix per image;
 * conv-implicit.ts: offset tables) share: the geometry key of their cached
 * tables and plans, the per-image sizes, the k block and the cut of the
 * batch into tasks of whole images.
 */
import type { Conv2dParams } from '@nerve/core/backend';
import { KC } from '../wasm/gemm-wasm.js';
import type { WasmRuntime } from '../wasm/runtime.js';

/** The conv's geometry (all but batch and output channels) as a map key. */
export function geometryKey(p: Conv2dParams): string {
  return [
    p.inChannels,
    p.inHeight,
    p.inWidth,
    p.kernelHeight,
    p.kernelWidth,
    p.outHeight,
    p.outWidth,
    p.strideH,
    p.strideW,
    p.padH,
    p.padW,
    p.dilationH,
    p.dilationW,
  ].join(',');
}

/** Per-image sizes: a column's rows (C·kh·kw), output pixels, input floats, output channels. */
export function convSizes(p: Conv2dParams): { ckk: number; ohw: number; chw: number; O: number } {
  return {
    ckk: p.inChannels * p.kernelHeight * p.kernelWidth,
    ohw: p.outHeight * p.outWidth,
    chw: p.inChannels * p.inHeight * p.inWidth,
    O: p.outChannels,
  };
}

/** k cut into equal blocks of at most KC, from k alone (as the GEMM does). */
export function blockOf(k: number): number {
  return Math.ceil(k / Math.ceil(k / KC));
}

/**
 * Tasks over a batch: a few per thread so work stealing evens out a slow
 * thread (one on a single thread); the split changes no result.
 */
export function taskCount(rt: WasmRuntime, batch: number): number {
  return Math.min(batch, rt.runner.threads === 1 ? 1 : 4 * rt.runner.threads);
}

/**
 * The batch cut into nTasks ranges of whole images: [desc, i0, i1,
 * scratch], task t's scratch at tasksAt + t·taskBytes.
 */
export function imageTasks(
  batch: number,
  nTasks: number,
  desc: number,
  tasksAt: number,
  taskBytes: number,
): number[][] {
  const per = Math.ceil(batch / nTasks);
  const tasks: number[][] = [];
  for (let t = 0, i0 = 0; i0 < batch; t++, i0 += per) {
    tasks.push([desc, i0, Math.min(batch, i0 + per), tasksAt + t * taskBytes]);
  }
  return tasks;
}
