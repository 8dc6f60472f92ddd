/**
 * Per-layer activation statistics accumulated on the host in float64:
 * mean and variance merged batch by batch (Chan, Golub & LeVeque 1979),
 * a fixed-bin histogram, saturation counts and per-unit "ever positive" flags.
 */

/**
 * Saturation margin: a sigmoid output is saturated below 0.02 or above 0.98,
 * a tanh output when |y| > 0.98 — there the derivative is under ~0.02 (sigmoid)
 * or ~0.04 (tanh) of its peak, so gradients through the unit nearly vanish.
 */
export const SATURATION_MARGIN = 0.02;
/** Activations whose saturation is measured. */
export const SATURATING = new Set(['sigmoid', 'tanh']);
/** Activations whose dead units (never positive over an epoch) are measured. */
export const RELU_FAMILY = new Set(['relu', 'leakyRelu', 'prelu', 'elu', 'selu', 'gelu', 'silu']);

/** The histogram range used when the `range` option is not given. */
export function defaultRange(activation: string | null): [number, number] {
  if (activation === 'sigmoid') return [0, 1];
  if (activation === 'tanh') return [-1, 1];
  return [-4, 4];
}

/** One layer's numbers for one epoch. */
export interface ActivationSummary {
  /** The module's `activation` name, or null for a module named in `modules` without one. */
  activation: string | null;
  /** Number of output elements seen. */
  count: number;
  /** Mean over every element seen. */
  mean: number;
  /** Population standard deviation over every element seen. */
  std: number;
  /** Fractions of all elements per bin; `under`/`over` fall outside the range (NaNs in none). */
  histogram: {
    /** Bin edges, one more than the bins. */
    edges: number[];
    /** Fraction of all elements in each bin. */
    fractions: number[];
    /** Fraction below the first edge. */
    under: number;
    /** Fraction above the last edge. */
    over: number;
  };
  /** Fraction of outputs saturated (sigmoid/tanh only; see SATURATION_MARGIN). */
  saturated?: number;
  /** Fraction of units never positive (ReLU family only). */
  dead?: number;
  /** Number of units (features of [N, F], channels of [N, C, …]). */
  units?: number;
}

export class LayerStats {
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private saturated = 0;
  private readonly counts: Float64Array;
  private under = 0;
  private over = 0;
  private everPositive: Uint8Array | null = null;

  constructor(
    readonly activation: string | null,
    private readonly lo: number,
    private readonly hi: number,
    private readonly bins: number,
  ) {
    this.counts = new Float64Array(bins);
  }

  get seen(): number {
    return this.n;
  }

  add(v: ArrayLike<number>, shape: readonly number[]): void {
    const len = v.length;
    if (len === 0) return;
    let s = 0;
    for (let i = 0; i < len; i++) s += v[i];
    const bm = s / len;
    let bm2 = 0;
    for (let i = 0; i < len; i++) {
      const d = v[i] - bm;
      bm2 += d * d;
    }
    const n = this.n + len;
    const delta = bm - this.mean;
    this.mean += (delta * len) / n;
    this.m2 += bm2 + (delta * delta * this.n * len) / n;
    this.n = n;
    this.histogram(v);
    if (this.activation === 'sigmoid') {
      for (let i = 0; i < len; i++)
        if (v[i] < SATURATION_MARGIN || v[i] > 1 - SATURATION_MARGIN) this.saturated++;
    } else if (this.activation === 'tanh') {
      for (let i = 0; i < len; i++) if (Math.abs(v[i]) > 1 - SATURATION_MARGIN) this.saturated++;
    }
    if (this.activation !== null && RELU_FAMILY.has(this.activation)) this.markPositive(v, shape);
  }

  private histogram(v: ArrayLike<number>): void {
    const lo = this.lo;
    const hi = this.hi;
    const bins = this.bins;
    const counts = this.counts;
    const scale = bins / (hi - lo);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x < lo) this.under++;
      else if (x > hi) this.over++;
      else if (x >= lo) counts[Math.min(bins - 1, Math.floor((x - lo) * scale))]++;
    }
  }

  /** Units are axis 1 of [N, F] or [N, C, …]; each element of a 1-D output. */
  private markPositive(v: ArrayLike<number>, shape: readonly number[]): void {
    const units = shape.length >= 2 ? shape[1] : shape.length === 1 ? shape[0] : 1;
    const inner = shape.length >= 2 ? shape.slice(2).reduce((a, b) => a * b, 1) : 1;
    const outer = units * inner === 0 ? 0 : v.length / (units * inner);
    if (!this.everPositive || this.everPositive.length !== units) {
      this.everPositive = new Uint8Array(units);
    }
    const flags = this.everPositive;
    let i = 0;
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < units; c++, i += inner) {
        if (flags[c]) continue;
        for (let j = 0; j < inner; j++) {
          if (v[i + j] > 0) {
            flags[c] = 1;
            break;
          }
        }
      }
    }
  }

  summary(): ActivationSummary {
    const lo = this.lo;
    const hi = this.hi;
    const bins = this.bins;
    const frac = (c: number) => (this.n === 0 ? 0 : c / this.n);
    const out: ActivationSummary = {
      activation: this.activation,
      count: this.n,
      mean: this.mean,
      std: Math.sqrt(this.m2 / this.n),
      histogram: {
        edges: Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins),
        fractions: Array.from(this.counts, frac),
        under: frac(this.under),
        over: frac(this.over),
      },
    };
    if (this.activation !== null && SATURATING.has(this.activation)) {
      out.saturated = frac(this.saturated);
    }
    if (this.everPositive) {
      const units = this.everPositive.length;
      const dead = units - this.everPositive.reduce((a, b) => a + b, 0);
      out.dead = units === 0 ? 0 : dead / units;
      out.units = units;
    }
    return out;
  }

  reset(): void {
    this.n = 0;
    this.mean = 0;
    this.m2 = 0;
    this.saturated = 0;
    this.counts.fill(0);
    this.under = 0;
    this.over = 0;
    this.everPositive = null;
  }
}
