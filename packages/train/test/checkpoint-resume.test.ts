/**
 * The training state restores everything a resumed run needs (model,
 * optimizer, schedulers, epoch, the global and the modules' RNG), and
 * loadCheckpoint is all or nothing: a missing, partial, corrupt or
 * mismatched training state is refused with a NerveError before the model,
 * the optimizer or the schedulers change.
 */
import '@nerve/backend-cpu';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NerveError, type Tensor, manualSeed, randn, tensor } from '@nerve/core';
import { DataLoader, TensorDataset } from '@nerve/data';
import {
  Dropout,
  Linear,
  type Module,
  ReLU,
  Sequential,
  crossEntropy,
  loadSafetensors,
  readSafetensorsHeader,
  saveSafetensors,
} from '@nerve/layers';
import {
  Adam,
  type LRScheduler,
  type Optimizer,
  ReduceLROnPlateau,
  SGD,
  StepLR,
} from '@nerve/optim';
import { afterAll, describe, expect, it } from 'vitest';
import { fit, loadCheckpoint, saveCheckpoint, trainingStatePath } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-ckpt-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function blobs(n: number, seed: number): TensorDataset {
  const x = randn([n, 4], { seed });
  const xs = x.dataSync();
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = xs[4 * i] - xs[4 * i + 2] > 0 ? 1 : 0;
  return new TensorDataset(x, tensor(labels));
}

/** Dropout with its own seeded generator and one drawing from the global generator. */
const net = (seed: number) =>
  new Sequential(
    new Linear(4, 16, { seed }),
    new ReLU(),
    new Dropout(0.3, { seed: 5 }),
    new Linear(16, 16, { seed: seed + 1 }),
    new Dropout(0.3),
    new Linear(16, 2, { seed: seed + 2 }),
  );
const ce = (out: Tensor, y: Tensor) => crossEntropy(out, y);
const loader = () => new DataLoader(blobs(64, 10), { batchSize: 16, shuffle: true, seed: 3 });
const weights = (m: Module) => m.parameters().map((p) => [...p.dataSync()]);

function optimizerValues(opt: Optimizer): unknown {
  const sd = opt.stateDict();
  const out = Object.entries(sd.state).map(([i, s]) => [
    i,
    Object.entries(s).map(([k, v]) => {
      if (typeof v === 'number') return [k, v];
      const values = [...v.dataSync()];
      v.dispose();
      return [k, values];
    }),
  ]);
  return { out, groups: sd.paramGroups };
}

describe('resuming from a checkpoint', () => {
  it('continues exactly: dropout RNGs, LR schedule, loader epoch, optimizer', async () => {
    manualSeed(0);
    const straight = net(8);
    const opt1 = new Adam(straight.parameters(), { lr: 1e-2 });
    const s1 = new StepLR(opt1, { stepSize: 1, gamma: 0.5 });
    await fit(straight, { train: loader(), epochs: 3, optimizer: opt1, loss: ce, scheduler: s1 });

    manualSeed(0);
    const first = net(8);
    const opt2 = new Adam(first.parameters(), { lr: 1e-2 });
    const s2 = new StepLR(opt2, { stepSize: 1, gamma: 0.5 });
    await fit(first, { train: loader(), epochs: 2, optimizer: opt2, loss: ce, scheduler: s2 });
    const path = join(dir, 'resume.safetensors');
    await saveCheckpoint(path, first, { optimizer: opt2, schedulers: [s2], epoch: 2, step: 8 });

    manualSeed(12345); // a different process would start elsewhere
    const resumed = net(99);
    const opt3 = new Adam(resumed.parameters(), { lr: 1 });
    const s3 = new StepLR(opt3, { stepSize: 1, gamma: 0.5 });
    const info = await loadCheckpoint(path, resumed, { optimizer: opt3, schedulers: [s3] });
    expect(info.epoch).toBe(2);
    expect(info.step).toBe(8);
    const l = loader();
    l.setEpoch(info.epoch as number);
    await fit(resumed, { train: l, epochs: 1, optimizer: opt3, loss: ce, scheduler: s3 });
    expect(weights(resumed)).toEqual(weights(straight));
    expect(s3.getLastLr()).toEqual(s1.getLastLr());
  });

  it('keeps the weights file a plain state dict and a scheduler best of Infinity', async () => {
    const m = new Linear(3, 2, { seed: 1 });
    const opt = new SGD(m.parameters(), { lr: 0.1 });
    const plateau = new ReduceLROnPlateau(opt);
    const path = join(dir, 'plain.safetensors');
    await saveCheckpoint(path, m, {
      optimizer: opt,
      schedulers: [plateau],
      metadata: { note: 'x' },
    });
    const h = await readSafetensorsHeader(path);
    expect(h.entries.map((e) => e.name).sort()).toEqual(['bias', 'weight']);
    const again = new ReduceLROnPlateau(new SGD(new Linear(3, 2).parameters(), { lr: 0.1 }));
    const fresh = new Linear(3, 2, { seed: 2 });
    const info = await loadCheckpoint(path, fresh, {
      optimizer: new SGD(fresh.parameters(), { lr: 0.5 }),
      schedulers: [again],
    });
    expect(info.metadata).toEqual({ note: 'x' });
    expect(again.stateDict()).toEqual(plateau.stateDict());
    expect(JSON.stringify(plateau.stateDict())).toMatch(/"best":null/); // why it needs care
  });
});

describe('loadCheckpoint is all or nothing', () => {
  /** A saved checkpoint and a target whose model, optimizer and scheduler all have state. */
  async function setup(name: string) {
    const path = join(dir, `${name}.safetensors`);
    const src = net(1);
    const srcOpt = new Adam(src.parameters(), { lr: 1e-2 });
    const srcSched = new StepLR(srcOpt, { stepSize: 1, gamma: 0.9 });
    await fit(src, {
      train: loader(),
      epochs: 1,
      optimizer: srcOpt,
      loss: ce,
      scheduler: srcSched,
    });
    await saveCheckpoint(path, src, { optimizer: srcOpt, schedulers: [srcSched], epoch: 1 });
    const model = net(50);
    const opt = new Adam(model.parameters(), { lr: 3e-3 });
    const sched = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
    await fit(model, { train: loader(), epochs: 1, optimizer: opt, loss: ce, scheduler: sched });
    const snapshot = () => ({
      w: weights(model),
      o: optimizerValues(opt),
      s: sched.stateDict(),
    });
    return {
      path,
      statePath: trainingStatePath(path),
      model,
      opt,
      sched,
      before: snapshot(),
      snapshot,
    };
  }

  async function refused(
    t: Awaited<ReturnType<typeof setup>>,
    pattern: RegExp,
    opts: { optimizer?: Optimizer; schedulers?: LRScheduler[]; model?: Module } = {},
  ) {
    const e = await loadCheckpoint(t.path, opts.model ?? t.model, {
      optimizer: opts.optimizer ?? t.opt,
      schedulers: opts.schedulers ?? [t.sched],
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NerveError);
    expect((e as Error).message).toMatch(pattern);
    expect(t.snapshot()).toEqual(t.before);
  }

  /** Rewrites the training state with edited tensors or metadata. */
  async function rewrite(
    statePath: string,
    edit: (tensors: Record<string, Tensor>, meta: Record<string, string>) => void,
  ) {
    const { tensors, metadata } = await loadSafetensors(statePath);
    edit(tensors, metadata);
    await saveSafetensors(statePath, tensors, metadata);
    for (const t of Object.values(tensors)) t.dispose();
  }

  it('a missing training state', async () => {
    const t = await setup('missing');
    rmSync(t.statePath);
    await refused(t, /no training state '.*missing\.training\.safetensors' \(nothing was loaded\)/);
  });

  it('a truncated (partial) training state', async () => {
    const t = await setup('truncated');
    const bytes = readFileSync(t.statePath);
    writeFileSync(t.statePath, bytes.subarray(0, bytes.length - 100));
    await refused(t, /cannot read the training state.*truncated\.training\.safetensors/);
  });

  it('a training state without one of the tensors it lists', async () => {
    const t = await setup('partial');
    await rewrite(t.statePath, (ts) => {
      const k = Object.keys(ts).find((n) => n.startsWith('optimizer.')) as string;
      ts[k].dispose();
      delete ts[k];
    });
    await refused(t, /does not hold what it lists \(missing tensors optimizer\./);
  });

  it('a corrupt description', async () => {
    const t = await setup('corrupt');
    await rewrite(t.statePath, (_ts, meta) => {
      meta['nerve.training_state'] = '{"format":1,';
    });
    await refused(t, /description is not JSON/);
  });

  it('optimizer state that the optimizer refuses rolls the schedulers back', async () => {
    const t = await setup('badgroups');
    await rewrite(t.statePath, (_ts, meta) => {
      const d = JSON.parse(meta['nerve.training_state']);
      d.optimizer.paramGroups[0].params = [0, 1];
      meta['nerve.training_state'] = JSON.stringify(d);
    });
    await refused(t, /Adam\.loadStateDict: expected paramGroups\[0\]\.params/);
  });

  it('another optimizer type, another scheduler count, another model', async () => {
    const t = await setup('mismatch');
    await refused(t, /holds Adam state, the optimizer is a SGD/, {
      optimizer: new SGD(t.model.parameters(), { lr: 0.1 }),
    });
    await refused(t, /holds 1 scheduler states, 0 given/, { schedulers: [] });
    const other = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
    const otherOpt = new Adam(other.parameters());
    const e = await loadCheckpoint(t.path, other, { optimizer: otherOpt }).catch((x) => x);
    expect(e).toBeInstanceOf(NerveError);
    expect(e.message).toMatch(
      /model .*'0\.weight' is float32 \[16,4\], the model's is float32 \[8,4\]/,
    );
    expect(otherOpt.state.size).toBe(0);
  });
});
