/**
 * The training state of a checkpoint as one safetensors file: the model's
 * tensors (`model.<key>`), the optimizer's state tensors
 * (`optimizer.<param index>.<key>`), and in the metadata entry
 * `nerve.training_state` a JSON description of everything else (optimizer
 * type, param groups and scalar state, LR schedulers, epoch and step, RNG
 * positions) that lists every tensor the file must hold. Decoding validates
 * the whole description before anything is applied.
 */
import { Generator, type GeneratorState, NerveError, type Tensor } from '@nerve/core';
import type { Module } from '@nerve/layers';
import type { LRScheduler, Optimizer, OptimizerStateDict, SchedulerStateDict } from '@nerve/optim';

/** The metadata key that holds the description. */
export const STATE_KEY = 'nerve.training_state';
const FORMAT = 1;
const OP = 'loadCheckpoint';

/** Everything in a training state besides its tensors (JSON-able). */
export interface StateDescription {
  format: number;
  /** Shared with the weights file written in the same save. */
  id: string;
  epoch: number | null;
  step: number | null;
  modelKeys: string[];
  optimizer: {
    type: string;
    paramGroups: Record<string, unknown>[];
    /** Number-valued state per parameter index (e.g. Adam's step). */
    scalars: Record<string, Record<string, number>>;
    /** Tensor-valued state keys per parameter index. */
    tensors: Record<string, string[]>;
  } | null;
  schedulers: SchedulerStateDict[];
  rng: { default: GeneratorState; modules: Record<string, GeneratorState> };
}

/** JSON that keeps ±Infinity and NaN (a scheduler's `best` starts at Infinity). */
export function stringify(x: unknown): string {
  return JSON.stringify(x, (_k, v) =>
    typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v,
  );
}

function parse(text: string): unknown {
  return JSON.parse(text, (_k, v) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === '$number') {
        if (['Infinity', '-Infinity', 'NaN'].includes(v.$number)) return Number(v.$number);
      }
    }
    return v;
  });
}

/** Generators held by modules (a seeded Dropout's), by `<module path>:<field>`. */
export function moduleGenerators(model: Module): Map<string, Generator> {
  const out = new Map<string, Generator>();
  for (const [name, m] of model.namedModules()) {
    for (const [field, v] of Object.entries(m)) {
      if (v instanceof Generator) out.set(`${name}:${field}`, v);
    }
  }
  return out;
}

/**
 * The tensors and description of a training state. The optimizer's tensors
 * are copies that the caller disposes (`owned`); the model's are its own.
 */
export function encodeState(
  model: Module,
  opts: {
    optimizer?: Optimizer;
    schedulers: LRScheduler[];
    epoch?: number;
    step?: number;
    id: string;
    rng: GeneratorState;
  },
): { tensors: Record<string, Tensor>; owned: Tensor[]; description: StateDescription } {
  const tensors: Record<string, Tensor> = {};
  const sd = model.stateDict();
  for (const k of Object.keys(sd)) tensors[`model.${k}`] = sd[k];
  const owned: Tensor[] = [];
  let optimizer: StateDescription['optimizer'] = null;
  if (opts.optimizer) {
    const o = opts.optimizer.stateDict();
    const scalars: Record<string, Record<string, number>> = {};
    const tensorKeys: Record<string, string[]> = {};
    for (const [index, entries] of Object.entries(o.state)) {
      for (const [key, value] of Object.entries(entries)) {
        if (typeof value === 'number') (scalars[index] ??= {})[key] = value;
        else {
          owned.push(value);
          tensors[`optimizer.${index}.${key}`] = value;
          (tensorKeys[index] ??= []).push(key);
        }
      }
    }
    optimizer = {
      type: opts.optimizer.constructor.name,
      paramGroups: o.paramGroups as unknown as Record<string, unknown>[],
      scalars,
      tensors: tensorKeys,
    };
  }
  const modules: Record<string, GeneratorState> = {};
  for (const [k, g] of moduleGenerators(model)) modules[k] = g.getState();
  const description: StateDescription = {
    format: FORMAT,
    id: opts.id,
    epoch: opts.epoch ?? null,
    step: opts.step ?? null,
    modelKeys: Object.keys(sd),
    optimizer,
    schedulers: opts.schedulers.map((s) => s.stateDict()),
    rng: { default: opts.rng, modules },
  };
  return { tensors, owned, description };
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const isCount = (x: unknown) => x === null || (Number.isSafeInteger(x) && (x as number) >= 0);
const isStrings = (x: unknown): x is string[] =>
  Array.isArray(x) && x.every((s) => typeof s === 'string');

function refuse(path: string, what: string): NerveError {
  return NerveError.raw(OP, `training state '${path}' is not usable (nothing was loaded): ${what}`);
}

/**
 * Parses and checks the description against the tensor names the file
 * holds: the file must hold exactly the tensors it lists (a partial or
 * mixed file is refused).
 */
export function decodeDescription(
  path: string,
  metadata: Record<string, string>,
  names: readonly string[],
): StateDescription {
  const text = Object.hasOwn(metadata, STATE_KEY) ? metadata[STATE_KEY] : undefined;
  if (text === undefined) throw refuse(path, `it has no '${STATE_KEY}' entry`);
  let d: unknown;
  try {
    d = parse(text);
  } catch (e) {
    throw refuse(path, `its description is not JSON (${(e as Error).message})`);
  }
  if (!isObject(d) || d.format !== FORMAT) {
    throw refuse(path, `expected a description of format ${FORMAT}`);
  }
  const o = d.optimizer;
  const ok =
    typeof d.id === 'string' &&
    isCount(d.epoch) &&
    isCount(d.step) &&
    isStrings(d.modelKeys) &&
    Array.isArray(d.schedulers) &&
    d.schedulers.every(isObject) &&
    isObject(d.rng) &&
    isObject(d.rng.modules) &&
    (o === null ||
      (isObject(o) &&
        typeof o.type === 'string' &&
        Array.isArray(o.paramGroups) &&
        isObject(o.scalars) &&
        Object.values(o.scalars).every(
          (s) => isObject(s) && Object.values(s).every((v) => typeof v === 'number'),
        ) &&
        isObject(o.tensors) &&
        Object.values(o.tensors).every(isStrings)));
  if (!ok) throw refuse(path, 'its description is malformed');
  const desc = d as unknown as StateDescription;
  const listed = new Set(desc.modelKeys.map((k) => `model.${k}`));
  for (const [i, keys] of Object.entries(desc.optimizer?.tensors ?? {})) {
    for (const k of keys) listed.add(`optimizer.${i}.${k}`);
  }
  const held = new Set(names);
  const missing = [...listed].filter((n) => !held.has(n));
  const extra = [...held].filter((n) => !listed.has(n));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [
      missing.length ? `missing tensors ${missing.slice(0, 5).join(', ')}` : '',
      extra.length ? `unlisted tensors ${extra.slice(0, 5).join(', ')}` : '',
    ].filter(Boolean);
    throw refuse(path, `it does not hold what it lists (${parts.join('; ')})`);
  }
  return desc;
}

/** The optimizer state dict a description and its tensors describe (tensors not copied). */
export function optimizerStateDict(
  desc: NonNullable<StateDescription['optimizer']>,
  tensors: Record<string, Tensor>,
): OptimizerStateDict {
  const state: OptimizerStateDict['state'] = {};
  const entry = (i: string) => {
    const n = Number(i);
    state[n] ??= {};
    return state[n];
  };
  for (const [i, keys] of Object.entries(desc.tensors)) {
    for (const k of keys) {
      Object.defineProperty(entry(i), k, {
        value: tensors[`optimizer.${i}.${k}`],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  for (const [i, values] of Object.entries(desc.scalars)) {
    for (const [k, v] of Object.entries(values)) {
      Object.defineProperty(entry(i), k, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return { state, paramGroups: desc.paramGroups as unknown as OptimizerStateDict['paramGroups'] };
}
