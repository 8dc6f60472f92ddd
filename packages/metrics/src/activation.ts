/**
 * Activation statistics per layer from forward hooks: mean, std, a
 * fixed-bin histogram, saturation (sigmoid/tanh) and dead units (ReLU
 * family). Each training-mode call's output is read to the host with
 * `dataSync` and summarized at once, so no tensor is kept. On a backend that
 * cannot read synchronously (webgpu) the hook keeps a device copy of the
 * output instead, read and summarized by `flush()` (the same host code, so
 * the same numbers); that copies whole activations to the host, so sample
 * with `every` on large layers.
 */
import { NerveError, noGrad } from '@nerve/core';
import { type ActivationSummary, LayerStats, defaultRange } from './layer-stats.js';
import type { ModuleLike, Monitor } from './types.js';
import { DeferredReads, readsSync } from './deferred.js';
import { checkEvery } from './util.js';

/** Options of `activationMonitor`. */
export interface ActivationMonitorOptions {
  /** Dotted module names to watch; default every module with a string `activation` property. */
  modules?: string[];
  /** Histogram bins (default 20). */
  bins?: number;
  /** Histogram range for every layer; default [0, 1] for sigmoid, [-1, 1] for tanh, else [-4, 4]. */
  range?: [number, number];
  /** Summarize every k-th training call of each layer only (default 1). */
  every?: number;
}

interface Watched {
  name: string;
  stats: LayerStats;
  calls: number;
  remove: () => void;
}

/**
 * Keys per watched layer L (its dotted name; `(model)` for the root):
 * `activation/layer/L/mean`, `…/std`, `…/hist/<i>` (fraction of elements in
 * bin i), `…/hist/under`, `…/hist/over`, `…/saturated` (sigmoid/tanh),
 * `…/dead` (ReLU family); across layers `activation/saturatedMax` and
 * `activation/deadMax`. Eval-mode calls are ignored. On a backend that
 * cannot read synchronously, `await flush()` before `endEpoch()` (fit does).
 */
export class ActivationMonitor implements Monitor {
  readonly name = 'activation';
  /** The last finished epoch's numbers per layer (histogram edges included). */
  lastEpoch: Record<string, ActivationSummary> = {};
  private readonly opts: ActivationMonitorOptions;
  private readonly every: number;
  private readonly bins: number;
  private watched: Watched[] = [];
  private attached = false;
  private readonly reads = new DeferredReads();

  constructor(opts: ActivationMonitorOptions = {}) {
    const bins = opts.bins ?? 20;
    if (!Number.isInteger(bins) || bins < 1) {
      throw new NerveError('ActivationMonitor', 'an integer bins ≥ 1', String(opts.bins));
    }
    const r = opts.range;
    if (
      r !== undefined &&
      !(Array.isArray(r) && r.length === 2 && r[0] < r[1] && r.every(Number.isFinite))
    ) {
      throw new NerveError('ActivationMonitor', 'range [low, high] with low < high', String(r));
    }
    this.every = checkEvery('ActivationMonitor', opts.every);
    this.bins = bins;
    this.opts = { ...opts };
  }

  attach(model: ModuleLike): void {
    if (this.attached)
      throw NerveError.raw('ActivationMonitor.attach', 'already attached; call detach() first');
    const selected = this.select(model);
    for (const [name, m] of selected) {
      const kind = activationOf(m);
      const [lo, hi] = this.opts.range ?? defaultRange(kind);
      const w: Watched = {
        name,
        stats: new LayerStats(kind, lo, hi, this.bins),
        calls: 0,
        remove: () => {},
      };
      w.remove = m.registerForwardHook((mod, _inputs, out) => {
        if (!mod.training || w.calls++ % this.every !== 0) return;
        if (readsSync(out)) {
          w.stats.add(out.dataSync(), out.shape);
        } else {
          const shape = [...out.shape];
          // A copy: the output itself belongs to the forward pass (and its tidy).
          this.reads.push(
            noGrad(() => out.clone()),
            (v) => w.stats.add(v, shape),
          );
        }
      });
      this.watched.push(w);
    }
    this.attached = true;
  }

  private select(model: ModuleLike): [string, ModuleLike][] {
    const all = model
      .namedModules()
      .map(([n, m]): [string, ModuleLike] => [n === '' ? '(model)' : n, m]);
    const seen = new Set<ModuleLike>();
    const unique = all.filter(([, m]) => !seen.has(m) && seen.add(m));
    if (this.opts.modules) {
      const byName = new Map(all);
      const missing = this.opts.modules.filter((n) => !byName.has(n));
      if (missing.length > 0) {
        throw new NerveError(
          'ActivationMonitor.attach',
          `module names among [${all.map(([n]) => n).join(', ')}]`,
          `[${missing.join(', ')}]`,
        );
      }
      return this.opts.modules.map((n) => [n, byName.get(n)!]);
    }
    const found = unique.filter(([, m]) => activationOf(m) !== null);
    if (found.length === 0) {
      throw NerveError.raw(
        'ActivationMonitor.attach',
        'the model has no activation modules (modules with an `activation` property); name the modules to watch with the `modules` option',
      );
    }
    return found;
  }

  /** Reads and summarizes the outputs kept on the device since the last flush. */
  flush(): Promise<void> {
    return this.reads.flush();
  }

  endEpoch(): Record<string, number> {
    this.reads.assertFlushed('ActivationMonitor.endEpoch');
    const out: Record<string, number> = {};
    this.lastEpoch = {};
    let deadMax: number | undefined;
    let satMax: number | undefined;
    for (const w of this.watched) {
      if (w.stats.seen === 0) continue;
      const s = w.stats.summary();
      w.stats.reset();
      this.lastEpoch[w.name] = s;
      const p = `activation/layer/${w.name}`;
      out[`${p}/mean`] = s.mean;
      out[`${p}/std`] = s.std;
      for (const [i, f] of s.histogram.fractions.entries()) out[`${p}/hist/${i}`] = f;
      out[`${p}/hist/under`] = s.histogram.under;
      out[`${p}/hist/over`] = s.histogram.over;
      if (s.saturated !== undefined) {
        out[`${p}/saturated`] = s.saturated;
        satMax = Math.max(satMax ?? 0, s.saturated);
      }
      if (s.dead !== undefined) {
        out[`${p}/dead`] = s.dead;
        deadMax = Math.max(deadMax ?? 0, s.dead);
      }
    }
    if (satMax !== undefined) out['activation/saturatedMax'] = satMax;
    if (deadMax !== undefined) out['activation/deadMax'] = deadMax;
    return out;
  }

  detach(): void {
    this.reads.dispose();
    for (const w of this.watched) w.remove();
    this.watched = [];
    this.attached = false;
  }
}

function activationOf(m: ModuleLike): string | null {
  const a = (m as { activation?: unknown }).activation;
  return typeof a === 'string' ? a : null;
}
