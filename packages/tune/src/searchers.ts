/**
 * Searchers decide which configurations a study tries: random search
 * (Bergstra & Bengio 2012: with few important parameters it covers each one
 * far better than a grid), grid search, and coarse-to-fine (CS231n: a wide
 * random stage, then narrower stages around the best trials).
 */
import { NerveError } from '@nerve/core/base';
import type { BaseParam, Param, Value } from './params.js';
import { isLog } from './params.js';
import { type Config, Space } from './space.js';

/** Random search: `trials` independent draws from the space. */
export interface RandomSearch {
  /** Discriminates the searcher kinds. */
  readonly kind: 'random';
  /** Number of trials. */
  readonly trials: number;
}

/** Grid search: every combination of choices and `steps` points per numeric range. */
export interface GridSearch {
  /** Discriminates the searcher kinds. */
  readonly kind: 'grid';
  /** Grid points for numeric ranges without their own `steps`. */
  readonly steps?: number;
}

/** Random stages, each drawn from a range narrowed around the previous stage's best trials. */
export interface CoarseToFine {
  /** Discriminates the searcher kinds. */
  readonly kind: 'coarseToFine';
  /** Trials per stage; stage 0 searches the whole space. */
  readonly stages: readonly number[];
  /** How many of the previous stage's best trials span the next stage's ranges. */
  readonly topK: number;
  /** Each narrowed range is widened by this fraction of its span on both sides. */
  readonly margin: number;
}

/** How a study picks configurations. */
export type Searcher = RandomSearch | GridSearch | CoarseToFine;

function positiveInt(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new NerveError(op, `${name} a positive integer`, String(v));
  }
  return v;
}

/** Random search with `trials` trials. */
export function randomSearch(opts: { trials: number }): RandomSearch {
  return { kind: 'random', trials: positiveInt('randomSearch', 'trials', opts?.trials) };
}

/** Grid search; `steps` is the default number of points for numeric ranges. */
export function gridSearch(opts: { steps?: number } = {}): GridSearch {
  if (opts.steps !== undefined && (!Number.isInteger(opts.steps) || opts.steps < 2)) {
    throw new NerveError('gridSearch', 'steps an integer ≥ 2', String(opts.steps));
  }
  return opts.steps === undefined ? { kind: 'grid' } : { kind: 'grid', steps: opts.steps };
}

/**
 * Coarse-to-fine random search: `stages` trial counts (default [20, 10]);
 * each later stage's numeric ranges shrink to the span of the previous
 * stage's `topK` best trials (default 5), in log space for log parameters,
 * widened by `margin` (default 0.1) of that span, never past the previous range;
 * choices shrink to those the top trials used.
 */
export function coarseToFine(
  opts: { stages?: number[]; topK?: number; margin?: number } = {},
): CoarseToFine {
  const op = 'coarseToFine';
  const stages = opts.stages ?? [20, 10];
  if (!Array.isArray(stages) || stages.length < 2) {
    throw new NerveError(op, 'stages an array of at least two trial counts', String(stages));
  }
  for (const [i, n] of stages.entries()) positiveInt(op, `stages[${i}]`, n);
  const topK = positiveInt(op, 'topK', opts.topK ?? 5);
  const margin = opts.margin ?? 0.1;
  if (typeof margin !== 'number' || !(margin >= 0 && margin <= 1)) {
    throw new NerveError(op, 'margin in [0, 1]', String(margin));
  }
  return { kind: 'coarseToFine', stages: [...stages], topK, margin };
}

/** Throws a NerveError unless `s` is a searcher made by this module. */
export function checkSearcher(op: string, s: unknown): asserts s is Searcher {
  const k = (s as Searcher | null)?.kind;
  if (k !== 'random' && k !== 'grid' && k !== 'coarseToFine') {
    throw new NerveError(op, 'a searcher from randomSearch, gridSearch or coarseToFine', String(s));
  }
}

/**
 * The part of a searcher that fixes trial configurations: a study file
 * records it. A random search's trial count is left out, so a finished
 * study can be extended with more trials.
 */
export function searcherFingerprint(s: Searcher): object {
  return s.kind === 'random' ? { kind: 'random' } : s;
}

/** Number of stages. */
export function stageCount(s: Searcher): number {
  return s.kind === 'coarseToFine' ? s.stages.length : 1;
}

/** The configurations of one stage, for trial ids firstId, firstId + 1, … */
export function stageConfigs(
  s: Searcher,
  sp: Space,
  seed: number,
  stage: number,
  firstId: number,
): Config[] {
  if (s.kind === 'grid') return sp.grid(s.steps);
  const n = s.kind === 'random' ? s.trials : s.stages[stage];
  return Array.from({ length: n }, (_, i) => sp.sample(seed, firstId + i) as Config);
}

function narrowRange(p: BaseParam, values: number[], margin: number): BaseParam {
  if (p.kind === 'choice') return p;
  const log = isLog(p);
  const f = (v: number) => (log ? Math.log(v) : v);
  const g = (v: number) => (log ? Math.exp(v) : v);
  const [lo0, hi0] = [f(p.low), f(p.high)];
  let lo = Math.min(...values.map(f));
  let hi = Math.max(...values.map(f));
  // A single point (or identical values) would leave nothing to search: widen by the margin of the old range.
  const pad = hi > lo ? margin * (hi - lo) : Math.max(margin, 0.05) * (hi0 - lo0);
  lo = Math.max(lo0, lo - pad);
  hi = Math.min(hi0, hi + pad);
  let low = lo === lo0 ? p.low : g(lo);
  let high = hi === hi0 ? p.high : g(hi);
  if (p.kind === 'intUniform') {
    low = Math.max(p.low, Math.floor(low));
    high = Math.min(p.high, Math.ceil(high));
    if (high <= low) high < p.high ? (high = low + 1) : (low = high - 1);
  }
  if (!(high > low)) return p;
  return { ...p, low, high };
}

/** The space of the next coarse-to-fine stage, around `top` (the best configurations, best first). */
export function narrowSpace(sp: Space, top: Config[], margin: number): Space {
  if (top.length === 0) return sp;
  // Null prototype: parameter names such as '__proto__' stay ordinary keys.
  const params: Record<string, Param> = Object.create(null);
  for (const key of sp.keys) {
    const p = sp.params[key];
    const base = sp.base(key);
    const used = top.filter((c) => Object.hasOwn(c, key)).map((c) => c[key]);
    let narrowed: BaseParam = base;
    if (used.length > 0) {
      if (base.kind === 'choice') {
        narrowed = { kind: 'choice', values: base.values.filter((v: Value) => used.includes(v)) };
      } else {
        narrowed = narrowRange(base, used as number[], margin);
      }
    }
    params[key] = p.kind === 'conditional' ? { ...p, param: narrowed } : narrowed;
  }
  // A condition whose parent value was narrowed away stays valid only if it can still fire.
  for (const key of sp.keys) {
    const p = params[key];
    if (p.kind !== 'conditional') continue;
    const parent = params[p.parent];
    if (!parent) {
      delete params[key];
      continue;
    }
    const parentBase = parent.kind === 'conditional' ? parent.param : parent;
    const values = p.values.filter(
      (v) => parentBase.kind === 'choice' && parentBase.values.includes(v),
    );
    if (values.length === 0) delete params[key];
    else params[key] = { ...p, values };
  }
  return new Space(params);
}
