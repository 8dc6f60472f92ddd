/**
 * A search space: named parameters in declaration order, validated once,
 * sampled per trial from a seeded Philox stream so that trial i's
 * configuration depends only on (study seed, i), never on which worker runs
 * it or how many trials came before.
 */
import { Generator, NerveError, philox4x32 } from '@nerve/core/base';
import {
  type BaseParam,
  type Param,
  type ParamValue,
  type Value,
  checkBaseParam,
  drawValue,
  gridValues,
} from './params.js';

/** A configuration: parameter name to value; inactive conditional parameters are absent. */
export type Config = Record<string, Value>;

/** The configuration type a space produces. */
export type ConfigOf<S> = S extends Space<infer T> ? { [K in keyof T]: ParamValue<T[K]> } : Config;

/** What a parameter shows in a report: a numeric range or the list of choices. */
export type RangeSummary =
  | {
      /** Lower end of the range. */
      low: number;
      /** Upper end of the range. */
      high: number;
      /** Whether the range is searched on a log scale. */
      log: boolean;
    }
  | {
      /** The choices. */
      values: Value[];
    };

/** Purposes of derived seeds: distinct counter words give independent streams. */
const PURPOSE_CONFIG = 0x636f6e66; // 'conf'
const PURPOSE_TRIAL = 0x7472696c; // 'tril'

function deriveBits(seed: number, id: number, purpose: number): Uint32Array {
  const key: [number, number] = [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
  return philox4x32([id >>> 0, Math.floor(id / 2 ** 32) >>> 0, purpose, 0x74756e65], key);
}

/** The seed trial `id` of a study trains with (a non-negative 31-bit integer). */
export function trialSeed(studySeed: number, id: number): number {
  return deriveBits(studySeed, id, PURPOSE_TRIAL)[0] >>> 1;
}

/** A generator private to trial `id` for drawing its configuration. */
function configStream(studySeed: number, id: number): Generator {
  const b = deriveBits(studySeed, id, PURPOSE_CONFIG);
  return new Generator((b[0] >>> 11) * 2 ** 32 + b[1]);
}

/**
 * Sets `obj[key]` as an own data property. Parameter names come from files
 * (search spaces, study files): a plain assignment of '__proto__' would
 * change the prototype instead of adding a parameter.
 */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A uniform in [0, 1) with 53 random bits. */
function uniform53(gen: Generator): number {
  const [a, b] = gen.uint32(2);
  return ((a >>> 5) * 2 ** 26 + (b >>> 6)) / 2 ** 53;
}

/** Copies and checks a parameter table, throwing a NerveError on the first problem. */
function checkParams(op: string, params: unknown): Record<string, Param> {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new NerveError(op, 'an object of parameters', String(params));
  }
  const entries = Object.entries(params as Record<string, unknown>);
  if (entries.length === 0) throw new NerveError(op, 'at least one parameter', 'none');
  const seen = new Map<string, Param>();
  for (const [key, p] of entries) {
    if (p !== null && typeof p === 'object' && (p as Param).kind === 'conditional') {
      const c = p as Extract<Param, { kind: 'conditional' }>;
      const parent = seen.get(c.parent);
      if (!parent) {
        throw new NerveError(
          op,
          `'${key}' conditional on a parameter declared before it`,
          `parent '${String(c.parent)}'`,
        );
      }
      const parentBase = parent.kind === 'conditional' ? parent.param : parent;
      if (parentBase.kind !== 'choice') {
        throw new NerveError(
          op,
          `'${key}' conditional on a choice parameter`,
          `'${c.parent}' of kind ${parentBase.kind}`,
        );
      }
      if (!Array.isArray(c.values) || c.values.length === 0) {
        throw new NerveError(op, `'${key}' condition values`, String(c.values));
      }
      for (const v of c.values) {
        if (!parentBase.values.includes(v)) {
          throw new NerveError(
            op,
            `'${key}' condition values among the choices of '${c.parent}'`,
            JSON.stringify(v),
          );
        }
      }
      checkBaseParam(op, key, c.param);
    } else {
      checkBaseParam(op, key, p);
    }
    seen.set(key, p as Param);
  }
  return Object.fromEntries(seen);
}

/** Canonical JSON: object keys sorted, arrays in order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v as object)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** A validated search space; build it with `space({...})`. */
export class Space<T extends Record<string, Param> = Record<string, Param>> {
  /** The parameters, in declaration order (the order values are drawn in). */
  readonly params: T;
  /** Parameter names in declaration order. */
  readonly keys: string[];

  constructor(params: T) {
    this.params = checkParams('space', params) as T;
    this.keys = Object.keys(this.params);
  }

  /** The plain parameter behind `key` (unwrapping a conditional). */
  base(key: string): BaseParam {
    const p = this.params[key];
    return p.kind === 'conditional' ? p.param : p;
  }

  /** Whether `key` is searched given the values chosen so far. */
  isActive(key: string, config: Config): boolean {
    const p = this.params[key];
    if (p.kind !== 'conditional') return true;
    return Object.hasOwn(config, p.parent) && p.values.includes(config[p.parent]);
  }

  /** Trial `id`'s configuration for a study seeded with `seed`. */
  sample(seed: number, id: number): ConfigOf<Space<T>> {
    const gen = configStream(seed, id);
    const config: Config = {};
    for (const key of this.keys) {
      // Draw for every parameter, active or not, so a condition never shifts the others.
      const u = uniform53(gen);
      if (this.isActive(key, config)) setOwn(config, key, drawValue(this.base(key), u));
    }
    return config as ConfigOf<Space<T>>;
  }

  /** Every grid point, the first parameter varying slowest; inactive parameters are skipped. */
  grid(defaultSteps?: number): Config[] {
    const values = new Map(
      this.keys.map((k) => [k, gridValues('gridSearch', k, this.base(k), defaultSteps)]),
    );
    const out: Config[] = [];
    const walk = (i: number, config: Config): void => {
      if (i === this.keys.length) {
        out.push({ ...config });
        return;
      }
      const key = this.keys[i];
      if (!this.isActive(key, config)) {
        walk(i + 1, config);
        return;
      }
      for (const v of values.get(key) ?? []) {
        setOwn(config, key, v);
        walk(i + 1, config);
      }
      delete config[key];
    };
    walk(0, {});
    return out;
  }

  /** A JSON description with sorted keys and parameters in order: the space's fingerprint. */
  fingerprint(): string {
    return canonicalJson(this.keys.map((k) => [k, this.params[k]]));
  }

  /** Each parameter's range or choices, for reports. */
  ranges(): Record<string, RangeSummary> {
    const out: Record<string, RangeSummary> = {};
    for (const k of this.keys) {
      const p = this.base(k);
      setOwn(
        out,
        k,
        p.kind === 'choice'
          ? { values: [...p.values] }
          : {
              low: p.low,
              high: p.high,
              log: p.kind === 'logUniform' || (p.kind === 'intUniform' && p.log === true),
            },
      );
    }
    return out;
  }
}

/** Builds and validates a search space (a NerveError names the first bad parameter). */
export function space<const T extends Record<string, Param>>(params: T): Space<T> {
  return new Space(params);
}
