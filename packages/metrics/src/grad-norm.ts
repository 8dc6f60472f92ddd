/**
 * L2 norms of the gradients, per parameter tensor and in total
 * (√Σ‖gᵢ‖², the norm `clipGradNorm` clips), read just before the step.
 */
import { NerveError, noGrad, stack, tidy } from '@nerve/core';
import type { ModuleLike, Monitor, OptimizerLike } from './types.js';
import { DeferredReads, readsSync } from './deferred.js';
import { EpochMeans, checkEvery, namedTargets } from './util.js';

/** Options of `gradNormMonitor`. */
export interface GradNormMonitorOptions {
  /** Measure every k-th step only (default 1). */
  every?: number;
}

/**
 * Keys (per epoch, means over the measured steps): `gradNorm/total`,
 * `gradNorm/totalMax` (the largest total of a single step) and
 * `gradNorm/param/<dotted name>`. Gradients are read as they are when
 * `beforeStep` runs, i.e. after any clipping the loop does before it. On a
 * backend that cannot read synchronously the norms stay on the device until
 * `flush()`.
 */
export class GradNormMonitor implements Monitor {
  readonly name = 'gradNorm';
  private readonly every: number;
  private model: ModuleLike | null = null;
  private optimizer: OptimizerLike | undefined;
  private steps = 0;
  private readonly norms = new EpochMeans();
  private totalMax = Number.NEGATIVE_INFINITY;
  private readonly reads = new DeferredReads();

  constructor(opts: GradNormMonitorOptions = {}) {
    this.every = checkEvery('GradNormMonitor', opts.every);
  }

  attach(model: ModuleLike, optimizer?: OptimizerLike): void {
    if (this.model)
      throw NerveError.raw('GradNormMonitor.attach', 'already attached; call detach() first');
    this.model = model;
    this.optimizer = optimizer;
  }

  beforeStep(): void {
    if (!this.model || this.steps++ % this.every !== 0) return;
    const withGrad = namedTargets(this.model, this.optimizer).filter(
      ([, p]) => !p.isDisposed && p.requiresGrad && p.grad !== null && !p.grad.isDisposed,
    );
    if (withGrad.length === 0) return;
    const norms = () => noGrad(() => stack(withGrad.map(([, p]) => p.grad!.square().sum())).sqrt());
    const names = withGrad.map(([name]) => name);
    if (readsSync(withGrad[0][1])) {
      this.record(
        names,
        tidy(() => norms().dataSync()),
      );
    } else {
      this.reads.push(tidy(norms), (v) => this.record(names, v));
    }
  }

  /** Reads the norms measured on the device since the last flush. */
  flush(): Promise<void> {
    return this.reads.flush();
  }

  private record(names: string[], norms: ArrayLike<number>): void {
    let sq = 0;
    for (const [i, name] of names.entries()) {
      this.norms.add(`gradNorm/param/${name}`, norms[i]);
      sq += norms[i] * norms[i];
    }
    const total = Math.sqrt(sq);
    this.norms.add('gradNorm/total', total);
    // NaN sticks, so that a diverged step shows in totalMax.
    if (!Number.isNaN(this.totalMax) && !(total <= this.totalMax)) this.totalMax = total;
  }

  endEpoch(): Record<string, number> {
    this.reads.assertFlushed('GradNormMonitor.endEpoch');
    const means = this.norms.means();
    const out: Record<string, number> = {};
    if (means.has('gradNorm/total')) {
      out['gradNorm/total'] = means.get('gradNorm/total')!;
      out['gradNorm/totalMax'] = this.totalMax;
    }
    for (const [k, v] of means) if (k !== 'gradNorm/total') out[k] = v;
    this.norms.clear();
    this.totalMax = Number.NEGATIVE_INFINITY;
    return out;
  }

  detach(): void {
    this.reads.dispose();
    this.norms.clear();
    this.totalMax = Number.NEGATIVE_INFINITY;
    this.model = null;
    this.optimizer = undefined;
    this.steps = 0;
  }
}
