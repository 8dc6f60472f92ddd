/**
 * Checkpoints. `model.safetensors` holds the model's weights only, under
 * PyTorch's state-dict names, so `safetensors.torch.load_file` and
 * `load_state_dict` read it. When training state is saved too, it goes in
 * ONE other file, `model.training.safetensors`, written atomically: the
 * model's tensors again, the optimizer, the LR schedulers, epoch and step,
 * and the RNG positions. Resuming reads only that file, so a crash between
 * the two writes can never pair weights of one save with optimizer state of
 * another (see docs/design.md, "Checkpoints and safetensors files").
 */
import { NerveError, type Tensor, getDefaultGenerator } from '@nerve/core';
import { type Module, loadSafetensors, saveSafetensors } from '@nerve/layers';
import type { EpochRecord } from '@nerve/metrics';
import type { LRScheduler, Optimizer } from '@nerve/optim';
import type { Callback, TrainContext } from './callbacks.js';
import {
  STATE_KEY,
  type StateDescription,
  decodeDescription,
  encodeState,
  moduleGenerators,
  optimizerStateDict,
  stringify,
} from './checkpoint-state.js';

/** The training-state file of a checkpoint: `model.safetensors` → `model.training.safetensors`. */
export function trainingStatePath(path: string): string {
  return `${path.replace(/\.safetensors$/, '')}.training.safetensors`;
}

/** Options of `saveCheckpoint`. */
export interface SaveCheckpointOptions {
  /** Saves the training state too (with the schedulers, epoch, step and RNG). */
  optimizer?: Optimizer;
  /** LR schedulers to save with the optimizer. */
  schedulers?: LRScheduler[];
  /** Epochs completed. */
  epoch?: number;
  /** Optimizer steps taken. */
  step?: number;
  /** String metadata stored in both files' headers. */
  metadata?: Record<string, string>;
}

/** Options of `loadCheckpoint`. */
export interface LoadCheckpointOptions {
  /** Restores the optimizer from the training state (which must exist). */
  optimizer?: Optimizer;
  /** Restores these schedulers, in the order they were saved. */
  schedulers?: LRScheduler[];
  /** Restores the global and the modules' RNG positions (default true with a training state). */
  rng?: boolean;
}

/** What `loadCheckpoint` read. */
export interface CheckpointInfo {
  /** The string metadata of the file that was read. */
  metadata: Record<string, string>;
  /** Epochs and steps completed, when the training state was read and they were saved. */
  epoch?: number;
  /** Optimizer steps completed, when saved. */
  step?: number;
}

const checkCount = (op: string, name: string, v: unknown) => {
  if (v !== undefined && (!Number.isSafeInteger(v) || (v as number) < 0)) {
    throw new NerveError(op, `${name} to be a non-negative integer`, String(v));
  }
};

/**
 * Saves the model's weights to `path` (atomically) and, when an optimizer is
 * given, the whole training state to `trainingStatePath(path)` (one atomic
 * write, done first). Stale temporaries of killed saves are removed.
 */
export async function saveCheckpoint(
  path: string,
  model: Module,
  opts: SaveCheckpointOptions = {},
): Promise<void> {
  const op = 'saveCheckpoint';
  if (typeof path !== 'string' || !path.endsWith('.safetensors')) {
    throw new NerveError(op, 'a path ending in .safetensors', String(path));
  }
  checkCount(op, 'epoch', opts.epoch);
  checkCount(op, 'step', opts.step);
  const schedulers = opts.schedulers ?? [];
  if (schedulers.length > 0 && !opts.optimizer) {
    throw new NerveError(op, 'an optimizer with the schedulers', 'schedulers alone');
  }
  const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const tag = stringify({ id, epoch: opts.epoch ?? null, step: opts.step ?? null });
  if (opts.optimizer) {
    const s = encodeState(model, {
      optimizer: opts.optimizer,
      schedulers,
      epoch: opts.epoch,
      step: opts.step,
      id,
      rng: getDefaultGenerator().getState(),
    });
    try {
      await saveSafetensors(trainingStatePath(path), s.tensors, {
        ...opts.metadata,
        [STATE_KEY]: stringify(s.description),
      });
    } finally {
      // stateDict hands out copies; they are ours to free.
      for (const t of s.owned) t.dispose();
    }
  }
  await saveSafetensors(path, model.stateDict(), { ...opts.metadata, 'nerve.checkpoint': tag });
}

/**
 * Loads a checkpoint all or nothing. Without an optimizer it loads the
 * weights file; with one it reads only the training-state file and checks
 * all of it (model keys and shapes, optimizer type and state, schedulers,
 * RNG) before the model, optimizer, schedulers or RNG change.
 */
export async function loadCheckpoint(
  path: string,
  model: Module,
  opts: LoadCheckpointOptions = {},
): Promise<CheckpointInfo> {
  const schedulers = opts.schedulers ?? [];
  if (!opts.optimizer && schedulers.length === 0) {
    const { tensors, metadata } = await loadSafetensors(path);
    try {
      model.loadStateDict(tensors);
    } finally {
      for (const t of Object.values(tensors)) t.dispose();
    }
    return { metadata: userMetadata(metadata) };
  }
  const statePath = trainingStatePath(path);
  const { tensors, metadata } = await readTrainingState(statePath);
  try {
    const desc = decodeDescription(statePath, metadata, Object.keys(tensors));
    apply(statePath, desc, tensors, model, opts, schedulers);
    return {
      metadata: userMetadata(metadata),
      ...(desc.epoch !== null && { epoch: desc.epoch }),
      ...(desc.step !== null && { step: desc.step }),
    };
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}

async function readTrainingState(statePath: string) {
  try {
    return await loadSafetensors(statePath);
  } catch (e) {
    const missing = /does not exist \(ENOENT\)/.test((e as Error).message);
    throw NerveError.raw(
      'loadCheckpoint',
      missing
        ? `no training state '${statePath}' (nothing was loaded); saveCheckpoint writes it when given an optimizer`
        : `cannot read the training state (nothing was loaded): ${(e as Error).message}`,
    );
  }
}

function userMetadata(metadata: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(metadata)) {
    if (k !== STATE_KEY && k !== 'nerve.checkpoint') {
      Object.defineProperty(out, k, { value: metadata[k], enumerable: true, writable: true });
    }
  }
  return out;
}

/** Checks everything that can be checked without changing state, then applies in a safe order. */
function apply(
  statePath: string,
  desc: StateDescription,
  tensors: Record<string, Tensor>,
  model: Module,
  opts: LoadCheckpointOptions,
  schedulers: LRScheduler[],
): void {
  const op = 'loadCheckpoint';
  const refuse = (what: string) =>
    NerveError.raw(op, `training state '${statePath}' does not fit (nothing was loaded): ${what}`);
  const dict: Record<string, Tensor> = {};
  for (const k of desc.modelKeys) {
    Object.defineProperty(dict, k, { value: tensors[`model.${k}`], enumerable: true });
  }
  const problems = checkModel(model, dict);
  if (problems.length > 0) throw refuse(`model ${problems.slice(0, 10).join('; ')}`);
  if (opts.optimizer) {
    if (!desc.optimizer) throw refuse('it holds no optimizer state');
    if (desc.optimizer.type !== opts.optimizer.constructor.name) {
      throw refuse(
        `it holds ${desc.optimizer.type} state, the optimizer is a ${opts.optimizer.constructor.name}`,
      );
    }
  }
  if (schedulers.length !== desc.schedulers.length) {
    throw refuse(`it holds ${desc.schedulers.length} scheduler states, ${schedulers.length} given`);
  }
  const rng = opts.rng ?? true;
  const generators = moduleGenerators(model);
  if (rng) {
    const saved = Object.keys(desc.rng.modules).sort().join();
    if (saved !== [...generators.keys()].sort().join()) {
      throw refuse(`its module generators [${saved}] are not the model's`);
    }
  }
  // Schedulers first: their earlier states are cheap to put back if the optimizer refuses.
  const before = schedulers.map((s) => s.stateDict());
  try {
    for (const [i, s] of schedulers.entries()) s.loadStateDict(desc.schedulers[i]);
    if (opts.optimizer && desc.optimizer) {
      opts.optimizer.loadStateDict(optimizerStateDict(desc.optimizer, tensors));
    }
  } catch (e) {
    for (const [i, s] of schedulers.entries()) s.loadStateDict(before[i]);
    throw refuse((e as Error).message);
  }
  // Checked above with the same rules, so this cannot refuse.
  model.loadStateDict(dict);
  if (rng) {
    const g = getDefaultGenerator();
    const old = g.getState();
    try {
      g.setState(desc.rng.default);
      for (const [k, gen] of generators) gen.setState(desc.rng.modules[k]);
    } catch (e) {
      g.setState(old);
      throw refuse(`its RNG state: ${(e as Error).message}`);
    }
  }
}

/** The problems `loadStateDict` would refuse, found without loading. */
function checkModel(model: Module, dict: Record<string, Tensor>): string[] {
  const own = model.stateDict();
  const problems: string[] = [];
  for (const k of Object.keys(own)) {
    const t = Object.hasOwn(dict, k) ? dict[k] : undefined;
    if (!t) problems.push(`lacks '${k}'`);
    else if (t.shape.join() !== own[k].shape.join() || t.dtype !== own[k].dtype) {
      problems.push(
        `'${k}' is ${t.dtype} [${t.shape.join(',')}], the model's is ${own[k].dtype} [${own[k].shape.join(',')}]`,
      );
    }
  }
  for (const k of Object.keys(dict))
    if (!Object.hasOwn(own, k)) problems.push(`has unexpected '${k}'`);
  return problems;
}

/** Options of `ModelCheckpoint`. */
export interface ModelCheckpointOptions {
  /** The model's safetensors file (the training state goes beside it). */
  path: string;
  /** Keep only the best epoch by this record field (default: save every epoch). */
  monitor?: 'valLoss' | 'valAccuracy';
  /** LR schedulers to save with the optimizer. */
  schedulers?: LRScheduler[];
}

/**
 * Saves a checkpoint (weights and training state) after every epoch, or only
 * when the monitored value improves.
 */
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
      schedulers: this.opts.schedulers,
      epoch: record.epoch,
      step: record.epoch * ctx.numBatches,
      metadata: { epoch: String(record.epoch) },
    });
  }
}
