/**
 * Update-to-weight ratio ‖Δw‖/‖w‖ per parameter tensor, where Δw is what
 * `optimizer.step()` changed and w the value before the step. For SGD this is
 * lr·‖g‖/‖w‖. Karpathy's rule of thumb (CS231n, "Babysitting the learning
 * process"): around 1e-3 is healthy; far above, the learning rate is too
 * high; far below, too low.
 */
import { NerveError, type Tensor, keep, noGrad, stack, tidy } from '@nerve/core';
import type { ModuleLike, Monitor, OptimizerLike } from './types.js';
import { DeferredReads, readsSync } from './deferred.js';
import { EpochMeans, checkEvery, finiteMax, median, namedTargets } from './util.js';

/** Options of `updateRatioMonitor`. */
export interface UpdateRatioMonitorOptions {
  /** Measure every k-th step only (default 1): each measured step copies the parameters once. */
  every?: number;
}

/**
 * Keys (per epoch, each per-parameter value the mean over the measured steps):
 * `updateRatio/param/<dotted name>`, and across parameters
 * `updateRatio/median` and `updateRatio/max`. A step is measured only for
 * parameters that require grad, have a gradient and a nonzero norm, and only
 * where ‖Δw‖/‖w‖ is finite: a step that made the weights NaN or infinite has
 * no ratio (the loss tells of it; `diagnose` reports `loss-nan`), and the
 * epoch's mean is over the steps that had one. On a
 * backend that cannot read synchronously the norms stay on the device until
 * `flush()`.
 */
export class UpdateRatioMonitor implements Monitor {
  readonly name = 'updateRatio';
  private readonly every: number;
  private model: ModuleLike | null = null;
  private optimizer: OptimizerLike | undefined;
  private steps = 0;
  private snapshot: { name: string; param: Tensor; before: Tensor }[] | null = null;
  private readonly ratios = new EpochMeans();
  private readonly reads = new DeferredReads();

  constructor(opts: UpdateRatioMonitorOptions = {}) {
    this.every = checkEvery('UpdateRatioMonitor', opts.every);
  }

  attach(model: ModuleLike, optimizer?: OptimizerLike): void {
    if (this.model)
      throw NerveError.raw('UpdateRatioMonitor.attach', 'already attached; call detach() first');
    this.model = model;
    this.optimizer = optimizer;
  }

  beforeStep(): void {
    if (!this.model) return;
    this.dropSnapshot();
    if (this.steps++ % this.every !== 0) return;
    const targets = namedTargets(this.model, this.optimizer).filter(
      ([, p]) => !p.isDisposed && p.requiresGrad && p.grad !== null,
    );
    // Kept: the loop may call beforeStep inside a tidy that ends before afterStep.
    this.snapshot = noGrad(() =>
      targets.map(([name, param]) => ({ name, param, before: keep(param.clone()) })),
    );
  }

  afterStep(): void {
    const snap = this.snapshot;
    this.snapshot = null;
    if (!snap || snap.length === 0) return;
    try {
      const live = snap.filter((s) => !s.param.isDisposed);
      if (live.length === 0) return;
      // One read: [‖Δw₀‖, ‖w₀‖, ‖Δw₁‖, ‖w₁‖, …].
      const norms = () =>
        noGrad(() =>
          stack(
            live.flatMap((s) => [s.param.sub(s.before).square().sum(), s.before.square().sum()]),
          ).sqrt(),
        );
      const names = live.map((s) => s.name);
      const record = (v: ArrayLike<number>) => {
        for (const [i, name] of names.entries()) {
          const w = v[2 * i + 1];
          const ratio = v[2 * i] / w;
          if (w > 0 && Number.isFinite(ratio)) this.ratios.add(name, ratio);
        }
      };
      if (readsSync(live[0].param)) record(tidy(() => norms().dataSync()));
      else this.reads.push(tidy(norms), record);
    } finally {
      for (const s of snap) s.before.dispose();
    }
  }

  /** Reads the norms measured on the device since the last flush. */
  flush(): Promise<void> {
    return this.reads.flush();
  }

  endEpoch(): Record<string, number> {
    this.reads.assertFlushed('UpdateRatioMonitor.endEpoch');
    const means = this.ratios.means();
    this.ratios.clear();
    if (means.size === 0) return {};
    const values = [...means.values()];
    const out: Record<string, number> = {
      'updateRatio/median': median(values),
      'updateRatio/max': finiteMax(values),
    };
    for (const [name, v] of means) out[`updateRatio/param/${name}`] = v;
    return out;
  }

  detach(): void {
    this.dropSnapshot();
    this.reads.dispose();
    this.ratios.clear();
    this.model = null;
    this.optimizer = undefined;
    this.steps = 0;
  }

  private dropSnapshot(): void {
    if (this.snapshot) for (const s of this.snapshot) s.before.dispose();
    this.snapshot = null;
  }
}
