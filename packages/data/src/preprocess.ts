/**
 * The shared shape of the preprocessing transforms: fit statistics on the
 * training data only, then transform any split with them (so nothing of the
 * validation or test data leaks into training), and save or restore the
 * statistics as plain numbers and Float32Arrays.
 */
import { NerveError, type Tensor, tidy, describeValue } from '@nerve/core';

/** A preprocessor's saved statistics: numbers, strings and Float32Arrays only. */
export type PreprocessorState = Record<string, number | string | Float32Array>;

/** Base of ZeroCenter, Standardize, PCA, PCAWhiten and ZCAWhiten. */
export abstract class Preprocessor {
  /** The class name, used in error messages. */
  protected abstract readonly name: string;

  /** Checks the training data before anything is computed (throws a NerveError naming `op`). */
  protected abstract checkFit(op: string, x: Tensor): void;

  /** The statistics of x, computed on x's backend (called inside a tidy; read by fit/fitAsync). */
  protected abstract statistics(op: string, x: Tensor): Tensor[];

  /** Sets the fitted state from the statistics read to the host; returns this. */
  protected abstract fitFrom(op: string, stats: Float32Array[]): this;

  /**
   * Computes the statistics from training data; returns this. Reads the
   * statistics synchronously, so only on a backend that can (cpu); use
   * `fitAsync` on webgpu.
   */
  fit(x: Tensor): this {
    const op = `${this.name}.fit`;
    this.checkFit(op, x);
    return this.fitFrom(
      op,
      readStatsSync(op, () => this.statistics(op, x)),
    );
  }

  /**
   * `fit` for every backend: the statistics are computed on x's backend and
   * read back with one `await` (webgpu cannot read synchronously).
   */
  async fitAsync(x: Tensor): Promise<this> {
    const op = `${this.name}.fitAsync`;
    this.checkFit(op, x);
    return this.fitFrom(op, await readStats(() => this.statistics(op, x)));
  }

  /** Applies the fitted statistics; the result is a new tensor the caller owns. */
  abstract transform(x: Tensor): Tensor;

  /** Whether fit or loadStateDict has run. */
  abstract get fitted(): boolean;

  /** The fitted statistics, as copies. */
  abstract stateDict(): PreprocessorState;

  /** Restores statistics saved by stateDict; validates everything before changing state. */
  abstract loadStateDict(state: PreprocessorState): void;

  /** fit(x) then transform(x). */
  fitTransform(x: Tensor): Tensor {
    return this.fit(x).transform(x);
  }

  /** fitAsync(x) then transform(x), on every backend. */
  async fitTransformAsync(x: Tensor): Promise<Tensor> {
    return (await this.fitAsync(x)).transform(x);
  }

  /** Throws a NerveError naming `op` when `fit` has not run yet. */
  protected requireFitted(op: string): void {
    if (!this.fitted) {
      throw NerveError.raw(
        `${this.name}.${op}`,
        'not fitted yet: call fit(trainingData) or loadStateDict(state) first',
      );
    }
  }
}

/** Throws unless x is a live float32 tensor [N, ...] with N ≥ minRows. */
export function checkData(op: string, x: Tensor, minRows: number): void {
  if (x === null || typeof x !== 'object' || (x as { isTensor?: unknown }).isTensor !== true) {
    throw new NerveError(op, 'a Tensor', String(x));
  }
  x.assertAlive(op);
  if (x.dtype !== 'float32') throw new NerveError(op, 'a float32 tensor', `a ${x.dtype} tensor`);
  if (x.rank < 2) {
    throw new NerveError(
      op,
      'samples along the first axis: [N, features...]',
      `shape [${x.shape.join(',')}]`,
    );
  }
  if (x.shape[0] < minRows) {
    throw new NerveError(op, `at least ${minRows} sample(s)`, `shape [${x.shape.join(',')}]`);
  }
}

/** Features per sample: the product of every dimension after the first. */
export function featuresOf(x: Tensor): number {
  return x.shape.slice(1).reduce((a, b) => a * b, 1);
}

/** Throws if any fitted statistic is NaN or infinite (bad training data). */
export function checkFinite(op: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw NerveError.raw(
        op,
        'the training data produced non-finite statistics (NaN or ±Inf in x?)',
      );
    }
  }
}

/** Reads a Float32Array entry of a state dict, checking its length. */
export function stateArray(
  op: string,
  state: PreprocessorState,
  key: string,
  length?: number,
): Float32Array {
  const v = state?.[key];
  if (!(v instanceof Float32Array)) {
    throw new NerveError(op, `state.${key} a Float32Array`, describeValue(v));
  }
  if (length !== undefined && v.length !== length) {
    throw new NerveError(op, `state.${key} of length ${length}`, `length ${v.length}`);
  }
  return v;
}

/** Reads a number entry of a state dict (positive integer unless `real`). */
export function stateNumber(
  op: string,
  state: PreprocessorState,
  key: string,
  real = false,
): number {
  const v = state?.[key];
  const ok = typeof v === 'number' && (real ? Number.isFinite(v) : Number.isInteger(v) && v > 0);
  if (!ok) {
    throw new NerveError(
      op,
      `state.${key} ${real ? 'a finite number' : 'a positive integer'}`,
      describeValue(v),
    );
  }
  return v as number;
}

/** Checks that a state entry equals this instance's configuration. */
export function stateMatches(
  op: string,
  state: PreprocessorState,
  key: string,
  expected: number | string,
): void {
  const v = state?.[key];
  if (v !== expected) {
    throw new NerveError(op, `state.${key} = ${expected} (as constructed)`, describeValue(v));
  }
}

/**
 * Host copies of statistics a fit computes on the backend (`stats` runs in a
 * tidy), read synchronously; on a backend that cannot, a NerveError that
 * names the async method to call instead.
 */
export function readStatsSync(op: string, stats: () => Tensor[]): Float32Array[] {
  const ts = tidy(stats);
  try {
    const b = ts[0]?.backend;
    if (b && !b.readSync) {
      throw NerveError.raw(
        op,
        `backend '${b.name}' cannot read the statistics synchronously; use 'await ${op}Async(x)' (or fitTransformAsync)`,
      );
    }
    return ts.map((t) => t.dataSync() as Float32Array);
  } finally {
    for (const t of ts) t.dispose();
  }
}

/** readStatsSync for every backend: one `await` for all the statistics. */
export async function readStats(stats: () => Tensor[]): Promise<Float32Array[]> {
  const ts = tidy(stats);
  try {
    return (await Promise.all(ts.map((t) => t.data()))) as Float32Array[];
  } finally {
    for (const t of ts) t.dispose();
  }
}
