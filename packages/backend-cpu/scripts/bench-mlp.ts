/**
 * The bench:cpu MLP (bench/cpu/workloads.ts) with its weights and batch, and
 * a hash of a model's parameter bits and a step timer, shared by the step
 * scripts (mlp-step.ts, sgd-ab.ts, cnn-step.ts) so that their steps, hashes
 * and timings are the same computation.
 */
import * as core from '@nerve/core';
import * as layers from '@nerve/layers';
import type { Module, Sequential } from '@nerve/layers';
import { SGD } from '@nerve/optim';
import {
  type TrainWorkload,
  WORKLOADS,
  labels,
  sizeOf,
  uniform,
} from '../../../bench/cpu/workloads.js';
import { workloadModel } from '../../../bench/cpu/nerve-cells.js';

/** The workload `name`'s MLP with its fixed weights, its SGD optimizer and its kept batch. */
export function benchMlp(name: string): {
  w: TrainWorkload;
  model: Sequential;
  opt: SGD;
  x: core.Tensor;
  y: core.Tensor;
} {
  const w = WORKLOADS.find((x) => x.name === name) as TrainWorkload;
  const model = workloadModel(core, layers, w);
  const opt = new SGD(model.parameters(), { lr: w.lr });
  const x = core.keep(
    core.tensor(uniform(sizeOf(w.inputShape), w.inputSeed), { shape: w.inputShape }),
  );
  const y = core.keep(core.tensor(labels(w.inputShape[0], w.labelSeed, w.classes)));
  return { w, model, opt, x, y };
}

/** FNV-1a over the parameters' bits: the loss alone hides ulp-level differences in the weights. */
export function paramsHash(model: Module): string {
  let hash = 0x811c9dc5;
  for (const t of model.parameters()) {
    for (const byte of new Uint8Array(new Float32Array(t.dataSync() as Float32Array).buffer)) {
      hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
    }
  }
  return hash.toString(16);
}

/** Runs `step` n times; wall and process CPU milliseconds per step, and the last step's result. */
export function timeSteps<T>(
  n: number,
  step: () => T,
): { wallMs: number; cpuMs: number; last: T | undefined } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let last: T | undefined;
  for (let i = 0; i < n; i++) last = step();
  const c = process.cpuUsage(c0);
  return { wallMs: (performance.now() - t0) / n, cpuMs: (c.user + c.system) / 1000 / n, last };
}
