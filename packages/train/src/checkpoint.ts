/**
 * Checkpoints: the model's state dict as a safetensors file (PyTorch's key
 * names, readable by PyTorch) and, beside it, the optimizer state as a second
 * safetensors file, so training resumes exactly. Both are written atomically.
 */
import type { Tensor } from '@nerve/core';
import { type Module, loadSafetensors, saveSafetensors } from '@nerve/layers';
import type { EpochRecord } from '@nerve/metrics';
import type { Optimizer } from '@nerve/optim';
import type { Callback, TrainContext } from './callbacks.js';

/** The optimizer file that goes with a checkpoint: `model.safetensors` → `model.optim.safetensors`. */
export function optimizerPath(path: string): string {
  return `${path.replace(/\.safetensors$/, '')}.optim.safetensors`;
}

export interface SaveCheckpointOptions {
  optimizer?: Optimizer;
  /** String metadata stored in the model file's header. */
  metadata?: Record<string, string>;
}

/** Saves model weights (and optimizer state when given), each file atomically. */
export async function saveCheckpoint(
  path: string,
  model: Module,
  opts: SaveCheckpointOptions = {},
): Promise<void> {
  await saveSafetensors(path, model.stateDict(), opts.metadata);
  if (!opts.optimizer) return;
  const sd = opts.optimizer.stateDict();
  const tensors: Record<string, Tensor> = {};
  const scalars: Record<string, Record<string, number>> = {};
  for (const [index, entries] of Object.entries(sd.state)) {
    for (const [key, value] of Object.entries(entries)) {
      if (typeof value === 'number') (scalars[index] ??= {})[key] = value;
      else tensors[`state.${index}.${key}`] = value;
    }
  }
  try {
    await saveSafetensors(optimizerPath(path), tensors, {
      paramGroups: JSON.stringify(sd.paramGroups),
      scalars: JSON.stringify(scalars),
    });
  } finally {
    // stateDict hands out copies; they are ours to free.
    for (const t of Object.values(tensors)) t.dispose();
  }
}

/**
 * Loads weights into `model` (rejected whole if any key or shape is wrong)
 * and, when given, the optimizer state. Returns the model file's metadata.
 */
export async function loadCheckpoint(
  path: string,
  model: Module,
  opts: { optimizer?: Optimizer } = {},
): Promise<Record<string, string>> {
  const { tensors, metadata } = await loadSafetensors(path);
  try {
    model.loadStateDict(tensors);
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
  if (opts.optimizer) {
    const o = await loadSafetensors(optimizerPath(path));
    try {
      const state: Record<number, Record<string, Tensor | number>> = {};
      for (const [k, t] of Object.entries(o.tensors)) {
        const [, index, key] = k.split('.');
        (state[Number(index)] ??= {})[key] = t;
      }
      const scalars = JSON.parse(o.metadata.scalars ?? '{}') as Record<
        string,
        Record<string, number>
      >;
      for (const [index, entries] of Object.entries(scalars))
        Object.assign((state[Number(index)] ??= {}), entries);
      opts.optimizer.loadStateDict({
        state,
        paramGroups: JSON.parse(o.metadata.paramGroups ?? '[]'),
      });
    } finally {
      for (const t of Object.values(o.tensors)) t.dispose();
    }
  }
  return metadata;
}

export interface ModelCheckpointOptions {
  path: string;
  /** Keep only the best epoch by this record field (default: save every epoch). */
  monitor?: 'valLoss' | 'valAccuracy';
}

/** Saves a checkpoint after every epoch, or only when the monitored value improves. */
export class ModelCheckpoint implements Callback {
  private best = Number.NaN;
  constructor(private readonly opts: ModelCheckpointOptions) {}

  async onEpochEnd(record: EpochRecord, ctx: TrainContext): Promise<void> {
    const m = this.opts.monitor;
    if (m) {
      const v = record[m];
      if (v === undefined) return;
      const better = Number.isNaN(this.best) || (m === 'valLoss' ? v < this.best : v > this.best);
      if (!better) return;
      this.best = v;
    }
    await saveCheckpoint(this.opts.path, ctx.model, {
      optimizer: ctx.optimizer,
      metadata: { epoch: String(record.epoch) },
    });
  }
}
