/**
 * What `pnpm bench:resnet`'s orchestrator (run.ts) and its library processes
 * (nerve.ts, torch_resnet.py) say to each other: one JSON request per stdin
 * line, one `@@bench {json}` reply per stdout line, as in bench/cpu.
 */
import { uniform } from '../cpu/workloads.js';

export { TAG } from '../cpu/child.js';

/** The workload: ResNet-18 forward + backward on one batch of random images. */
export interface Setup {
  batch: number;
  size: number;
  classes: number;
  /** Seeds of the shared inputs and labels (bench/cpu/workloads.ts's generator). */
  inputSeed: number;
  labelSeed: number;
}

export const SETUP: Setup = { batch: 8, size: 224, classes: 1000, inputSeed: 7, labelSeed: 8 };

/** Requests: run `n` timed steps, or one more step with the peak-memory probes on. */
export type Request = { cmd: 'steps'; n: number } | { cmd: 'peak' };

/** Memory after the peak step, in bytes. */
export interface Memory {
  /** The library's own accounting: largest bytes of live tensors during the step (nerve: backend.memory()). */
  peakTensorBytes?: number;
  /** Bytes of freed buffers the library keeps for reuse (nerve CPU: cachedBufferBytes; WebGPU: pool free + pending). */
  cachedBytes?: number;
  /** Process RSS now. */
  rss: number;
  /** The largest RSS the process has had (getrusage ru_maxrss). */
  maxRss: number;
  /** RSS right after the model and the batch were built, before the first step. */
  rssBefore: number;
}

export type Reply =
  | { type: 'hello'; info: string; params: number; firstLoss: number }
  | { type: 'skip'; reason: string }
  | { type: 'steps'; seconds: number[] }
  | { type: 'peak'; memory: Memory }
  | { type: 'error'; message: string };

/**
 * The initial value of each parameter, by torchvision's name, identical in
 * every library: weights of rank ≥ 2 (conv, linear) uniform in ±1/√fanIn
 * (PyTorch's default bound) from seed 1000 + their index in name order;
 * BatchNorm weights 1 and every bias 0. torch_resnet.py ports this.
 */
export function initialValue(
  name: string,
  shape: readonly number[],
  index: number,
): Float32Array | number {
  if (shape.length >= 2) {
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    const n = shape.reduce((a, b) => a * b, 1);
    return uniform(n, 1000 + index, 1 / Math.sqrt(fanIn));
  }
  return name.endsWith('.weight') ? 1 : 0;
}
