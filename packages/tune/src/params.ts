/**
 * Search-space parameters: how one hyperparameter is drawn, enumerated on a
 * grid and checked. Learning rates and regularization strengths vary over
 * orders of magnitude, so they are searched in log space (CS231n,
 * "hyperparameter optimization"; Bergstra & Bengio 2012).
 */
import { NerveError } from '@nerve/core/base';

/** A value a configuration may hold: JSON primitives only, so studies can be stored. */
export type Value = number | string | boolean | null;

/** Options shared by the numeric ranges. */
export interface RangeOptions {
  /** Grid points for grid search (≥ 2; log-spaced for log ranges). */
  steps?: number;
}

/** A real number uniform in [low, high). */
export interface UniformParam extends RangeOptions {
  /** Discriminates the parameter kinds. */
  readonly kind: 'uniform';
  /** Lower end (included). */
  readonly low: number;
  /** Upper end (excluded). */
  readonly high: number;
}

/** A real number whose logarithm is uniform in [log low, log high). */
export interface LogUniformParam extends RangeOptions {
  /** Discriminates the parameter kinds. */
  readonly kind: 'logUniform';
  /** Lower end, > 0 (included). */
  readonly low: number;
  /** Upper end (excluded). */
  readonly high: number;
}

/** An integer uniform in [low, high] (both ends included); `log` draws it log-uniformly. */
export interface IntUniformParam extends RangeOptions {
  /** Discriminates the parameter kinds. */
  readonly kind: 'intUniform';
  /** Smallest value. */
  readonly low: number;
  /** Largest value. */
  readonly high: number;
  /** Draw log-uniformly (needs low > 0). */
  readonly log?: boolean;
}

/** One of a list of values, each equally likely. */
export interface ChoiceParam<V extends Value = Value> {
  /** Discriminates the parameter kinds. */
  readonly kind: 'choice';
  /** The values to choose from. */
  readonly values: readonly V[];
}

/** A parameter that exists only while an earlier parameter has one of `values`. */
export interface ConditionalParam<P extends BaseParam = BaseParam> {
  /** Discriminates the parameter kinds. */
  readonly kind: 'conditional';
  /** Name of the earlier parameter this one depends on. */
  readonly parent: string;
  /** The parent's values for which this parameter exists. */
  readonly values: readonly Value[];
  /** The parameter drawn when it exists. */
  readonly param: P;
}

/** A numeric range. */
export type NumericParam = UniformParam | LogUniformParam | IntUniformParam;
/** Any parameter but a conditional one. */
export type BaseParam = NumericParam | ChoiceParam;
/** Any parameter of a search space. */
export type Param = BaseParam | ConditionalParam;

/** The type of the value a parameter takes (undefined where a condition may be off). */
export type ParamValue<P> =
  P extends ConditionalParam<infer Q>
    ? ParamValue<Q> | undefined
    : P extends ChoiceParam<infer V>
      ? V
      : number;

/** A real number uniform in [low, high). */
export function uniform(low: number, high: number, opts: RangeOptions = {}): UniformParam {
  return { kind: 'uniform', low, high, ...opts };
}

/** A positive real number whose logarithm is uniform: for learning rates and weight decay. */
export function logUniform(low: number, high: number, opts: RangeOptions = {}): LogUniformParam {
  return { kind: 'logUniform', low, high, ...opts };
}

/** An integer in [low, high], both included; `log: true` favours small values evenly per octave. */
export function intUniform(
  low: number,
  high: number,
  opts: RangeOptions & { log?: boolean } = {},
): IntUniformParam {
  return { kind: 'intUniform', low, high, ...opts };
}

/** One of `values`, each equally likely. */
export function choice<const V extends Value>(values: readonly V[]): ChoiceParam<V> {
  return { kind: 'choice', values };
}

/**
 * `param` is searched only when the earlier parameter `parent` takes `value`
 * (or one of several values); otherwise the key is absent from the config.
 */
export function conditional<P extends BaseParam>(
  parent: string,
  value: Value | readonly Value[],
  param: P,
): ConditionalParam<P> {
  const values = Array.isArray(value) ? (value as readonly Value[]) : [value as Value];
  return { kind: 'conditional', parent, values, param };
}

const KINDS = 'a parameter from uniform, logUniform, intUniform, choice or conditional';

/** A parameter's value as the user wrote it (JSON), for errors about a space's definition. */
function formatValue(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

function isPrimitive(v: unknown): v is Value {
  return (
    v === null ||
    typeof v === 'string' ||
    typeof v === 'boolean' ||
    (typeof v === 'number' && Number.isFinite(v))
  );
}

function checkSteps(op: string, key: string, steps: unknown): void {
  if (steps === undefined) return;
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 2) {
    throw new NerveError(op, `'${key}'.steps an integer ≥ 2`, formatValue(steps));
  }
}

/** Throws a NerveError naming `key` unless `p` is a valid non-conditional parameter. */
export function checkBaseParam(op: string, key: string, p: unknown): asserts p is BaseParam {
  if (p === null || typeof p !== 'object') throw new NerveError(op, `'${key}' ${KINDS}`, String(p));
  const q = p as Record<string, unknown>;
  switch (q.kind) {
    case 'uniform':
    case 'logUniform':
    case 'intUniform': {
      const { low, high } = q;
      if (typeof low !== 'number' || typeof high !== 'number') {
        throw new NerveError(
          op,
          `'${key}' numeric bounds`,
          `${formatValue(low)}, ${formatValue(high)}`,
        );
      }
      if (!Number.isFinite(low) || !Number.isFinite(high) || !(low < high)) {
        throw new NerveError(
          op,
          `'${key}' finite bounds with low < high`,
          `low ${low}, high ${high}`,
        );
      }
      const log = q.kind === 'logUniform' || (q.kind === 'intUniform' && q.log === true);
      if (q.kind === 'intUniform' && (!Number.isSafeInteger(low) || !Number.isSafeInteger(high))) {
        throw new NerveError(op, `'${key}' integer bounds`, `low ${low}, high ${high}`);
      }
      if (log && !(low > 0)) {
        throw new NerveError(
          op,
          `'${key}' a log range with positive bounds`,
          `low ${low}, high ${high}`,
        );
      }
      checkSteps(op, key, q.steps);
      return;
    }
    case 'choice': {
      const { values } = q;
      if (!Array.isArray(values) || values.length === 0) {
        throw new NerveError(op, `'${key}' a non-empty array of choices`, formatValue(values));
      }
      const seen = new Set<string>();
      for (const v of values) {
        if (!isPrimitive(v)) {
          throw new NerveError(
            op,
            `'${key}' choices that are strings, finite numbers, booleans or null`,
            formatValue(v),
          );
        }
        const s = JSON.stringify(v);
        if (seen.has(s)) throw new NerveError(op, `'${key}' distinct choices`, `${s} twice`);
        seen.add(s);
      }
      return;
    }
    case 'conditional':
      throw new NerveError(
        op,
        `'${key}' a conditional wrapping a plain parameter`,
        'a nested conditional',
      );
    default:
      throw new NerveError(op, `'${key}' ${KINDS}`, formatValue(p));
  }
}

/** Whether the parameter is searched in log space. */
export function isLog(p: BaseParam): boolean {
  return p.kind === 'logUniform' || (p.kind === 'intUniform' && p.log === true);
}

/** The value at fraction `u` ∈ [0, 1) of the parameter's distribution. */
export function drawValue(p: BaseParam, u: number): Value {
  switch (p.kind) {
    case 'choice':
      return p.values[Math.min(p.values.length - 1, Math.floor(u * p.values.length))];
    case 'uniform':
      return p.low + u * (p.high - p.low);
    case 'logUniform':
      return Math.min(p.high, Math.exp(Math.log(p.low) + u * (Math.log(p.high) - Math.log(p.low))));
    case 'intUniform': {
      // Integers are cells of equal width on [low, high + 1), linear or logarithmic.
      const v = p.log
        ? Math.exp(Math.log(p.low) + u * (Math.log(p.high + 1) - Math.log(p.low)))
        : p.low + u * (p.high + 1 - p.low);
      return Math.max(p.low, Math.min(p.high, Math.floor(v)));
    }
  }
}

/** The grid values of a parameter: all choices, or `steps` points spanning a range. */
export function gridValues(op: string, key: string, p: BaseParam, defaultSteps?: number): Value[] {
  if (p.kind === 'choice') return [...p.values];
  const steps = p.steps ?? defaultSteps;
  if (steps === undefined) {
    throw NerveError.raw(
      op,
      `'${key}' is a ${p.kind} range: give it { steps } (or gridSearch({ steps })) to put it on a grid`,
    );
  }
  checkSteps(op, key, steps);
  const log = isLog(p);
  const a = log ? Math.log(p.low) : p.low;
  const b = log ? Math.log(p.high) : p.high;
  const out: Value[] = [];
  for (let i = 0; i < steps; i++) {
    // Endpoints exactly, so a grid reaches the bounds the user typed.
    const t = a + ((b - a) * i) / (steps - 1);
    let v = i === 0 ? p.low : i === steps - 1 ? p.high : log ? Math.exp(t) : t;
    if (p.kind === 'intUniform') v = Math.round(v);
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

/**
 * Where `value` sits in the range as a fraction in [0, 1] (in log space for
 * log parameters); NaN for choices.
 */
export function positionInRange(p: BaseParam, value: number): number {
  if (p.kind === 'choice') return Number.NaN;
  if (isLog(p)) return (Math.log(value) - Math.log(p.low)) / (Math.log(p.high) - Math.log(p.low));
  return (value - p.low) / (p.high - p.low);
}
