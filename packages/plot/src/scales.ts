/** Domains, axes and colours shared by the SVG renderers (all drawn by Observable Plot). */
import * as Plot from '@observablehq/plot';
import type { Axis } from './figure.js';
import { formatLogTick, formatNumber } from './format.js';

/** Values usable on an axis: finite, and positive on a log axis. */
export function usable(v: number, log: boolean | undefined): boolean {
  return Number.isFinite(v) && (!log || v > 0);
}

/** [min, max] of the usable values, widened when flat; the axis's fixed domain when it has one. */
export function domainOf(axis: Axis, values: Iterable<number>): [number, number] {
  if (axis.domain !== undefined) return axis.domain;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!usable(v, axis.log)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return axis.log ? [0.1, 10] : [0, 1];
  if (lo === hi) return axis.log ? [lo / 10, hi * 10] : [lo - 1, hi + 1];
  return [lo, hi];
}

/**
 * Plot's options for a quantitative axis. A log axis spanning two decades or
 * more gets one tick per power of ten (thinned to at most 8), labelled
 * 1e-6 … 0.01 … 100, instead of SI prefixes ("1µ") that read oddly for
 * learning rates.
 */
export function axisOptions(
  axis: Axis,
  domain: [number, number],
  ticks?: number,
): Plot.ScaleOptions {
  const o: Plot.ScaleOptions = {
    label: axis.label,
    type: axis.log ? 'log' : 'linear',
    domain,
    grid: true,
    nice: axis.domain === undefined,
  };
  if (ticks !== undefined) o.ticks = ticks;
  if (axis.log) {
    const k0 = Math.floor(Math.log10(domain[0]) + 1e-9);
    const k1 = Math.ceil(Math.log10(domain[1]) - 1e-9);
    if (k1 - k0 >= 2) {
      const step = Math.ceil((k1 - k0 + 1) / (ticks ?? 8));
      const powers: number[] = [];
      for (let k = k0; k <= k1; k += step) powers.push(10 ** k);
      o.ticks = powers;
      o.tickFormat = formatLogTick;
      if (axis.domain === undefined) o.domain = [10 ** k0, 10 ** k1];
      o.nice = false;
    }
  } else {
    o.tickFormat = (v: number) => formatNumber(v, 3);
    if (axis.integer) o.ticks = integerTicks(domain, ticks ?? 8);
  }
  return o;
}

/**
 * At most about `count` ticks at whole numbers covering `domain`, spaced by
 * 1, 2 or 5 times a power of ten (never less than 1).
 */
export function integerTicks(domain: [number, number], count: number): number[] {
  const lo = Math.ceil(domain[0]);
  const hi = Math.floor(domain[1]);
  if (hi < lo) return [];
  const raw = (hi - lo) / Math.max(1, count);
  let step = 1;
  if (raw > 1) {
    const p = 10 ** Math.floor(Math.log10(raw));
    step = ([1, 2, 5, 10].find((m) => m * p >= raw) as number) * p;
  }
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) out.push(v);
  return out;
}

/** One colour per name, from Observable Plot's categorical scheme. */
export function palette(names: readonly string[]): string[] {
  const scale = Plot.scale({
    color: { type: 'categorical', domain: [...names], scheme: 'observable10' },
  });
  return names.map((n) => String(scale.apply(n)));
}

/** A remark for values a log axis could not show (zero or negative), or nothing. */
export function droppedNote(count: number, axisName: string): string[] {
  if (count === 0) return [];
  return [
    `${count} non-positive value${count === 1 ? '' : 's'} left off the log ${axisName} axis.`,
  ];
}

/** Panels per row for panels at least `minWidth` wide. */
export function columnsFor(width: number, n: number, minWidth: number): number {
  return Math.max(1, Math.min(n, Math.floor(width / minWidth)));
}
