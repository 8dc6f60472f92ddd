/**
 * Small helpers shared by the monitors: parameter names, sampling and
 * per-epoch averages.
 */
import { NerveError, type Tensor } from '@nerve/core';
import type { ModuleLike, OptimizerLike } from './types.js';

/** Validates a sampling period (`every` option): a positive integer. */
export function checkEvery(op: string, every: number | undefined): number {
  const k = every ?? 1;
  if (!Number.isInteger(k) || k < 1)
    throw new NerveError(op, 'an integer every ≥ 1', String(every));
  return k;
}

/**
 * The tensors an optimizer updates, named by their dotted name in the model
 * (`group<g>.<i>` for tensors the model does not own); without an optimizer,
 * the model's parameters. Each tensor once.
 */
export function namedTargets(model: ModuleLike, optimizer?: OptimizerLike): [string, Tensor][] {
  const named = model.namedParameters();
  if (!optimizer) return named;
  const names = new Map<Tensor, string>(named.map(([n, t]) => [t, n]));
  const seen = new Set<Tensor>();
  const out: [string, Tensor][] = [];
  for (const [g, group] of optimizer.paramGroups.entries()) {
    for (const [i, p] of group.params.entries()) {
      if (seen.has(p)) continue;
      seen.add(p);
      out.push([names.get(p) ?? `group${g}.${i}`, p]);
    }
  }
  return out;
}

/** Sums and counts per key, averaged at the end of an epoch. */
export class EpochMeans {
  private readonly acc = new Map<string, { sum: number; n: number }>();

  add(key: string, value: number): void {
    const a = this.acc.get(key);
    if (a) {
      a.sum += value;
      a.n++;
    } else {
      this.acc.set(key, { sum: value, n: 1 });
    }
  }

  /** key → mean, in insertion order. */
  means(): Map<string, number> {
    return new Map([...this.acc].map(([k, a]) => [k, a.sum / a.n]));
  }

  clear(): void {
    this.acc.clear();
  }
}

/** The median of finite values (NaN when there are none). */
export function median(values: readonly number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** The largest finite value (NaN when there are none). */
export function finiteMax(values: readonly number[]): number {
  const v = values.filter(Number.isFinite);
  return v.length === 0 ? Number.NaN : v.reduce((a, b) => Math.max(a, b));
}

/** A number for a message: 3 decimals in [0.01, 1e4), else exponential. */
export function fmt(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 0.01 && Math.abs(x) < 1e4 ? x.toFixed(3) : x.toExponential(2);
}
