/**
 * Checks on optimizer state dicts and the plain-data copies of
 * hyperparameters, so that loadStateDict can validate everything before it
 * changes anything.
 */
import { NerveError, Tensor, describeValue } from '@nerve/core';
import type { OptimizerStateDict, ParamGroup, ParamState, StateSpec } from './optimizer-types.js';
import { checkNumber } from './validate.js';

/** An object literal (or a prototype-less object), not an array, tensor or class instance. */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Copies JSON-like data (numbers, strings, booleans, null, arrays, plain objects). */
function copyData(op: string, key: string, v: unknown): unknown {
  if (v === null || ['number', 'string', 'boolean'].includes(typeof v)) return v;
  if (Array.isArray(v)) return v.map((x) => copyData(op, key, x));
  if (isPlainObject(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copyData(op, key, x)]));
  }
  throw new NerveError(op, `hyperparameter '${key}' to be plain data`, describeValue(v));
}

/** The hyperparameters of a group (everything but params), copied. */
export function copyHyper(op: string, group: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(group)) {
    if (k !== 'params' && v !== undefined) out[k] = copyData(op, k, v);
  }
  return out;
}

/**
 * Validates a state dict against the current groups: group and parameter
 * counts, hyperparameters (with `checkGroup`), state keys, tensor shapes,
 * dtypes and backends. Returns the hyperparameters per group and the state
 * per parameter, still referring to the caller's tensors.
 */
export function checkStateDict(
  op: string,
  stateDict: OptimizerStateDict,
  groups: readonly ParamGroup[],
  spec: StateSpec,
  checkGroup: (g: ParamGroup) => void,
): { hypers: Record<string, unknown>[]; loaded: Map<Tensor, ParamState> } {
  if (!isPlainObject(stateDict)) {
    throw new NerveError(op, 'a state dict { state, paramGroups }', describeValue(stateDict));
  }
  const { state, paramGroups } = stateDict;
  if (!Array.isArray(paramGroups) || paramGroups.length !== groups.length) {
    throw new NerveError(
      op,
      `paramGroups with ${groups.length} groups`,
      describeValue(paramGroups),
    );
  }
  const byIndex = new Map<number, { p: Tensor; group: number }>();
  const hypers = paramGroups.map((saved, gi) => {
    const cur = groups[gi];
    if (!isPlainObject(saved)) {
      throw new NerveError(op, `paramGroups[${gi}] to be an object`, describeValue(saved));
    }
    const ids: unknown = saved.params;
    if (!Array.isArray(ids) || ids.length !== cur.params.length) {
      throw new NerveError(
        op,
        `paramGroups[${gi}].params to list ${cur.params.length} parameter indices`,
        describeValue(ids),
      );
    }
    ids.forEach((id, j) => {
      if (typeof id !== 'number' || !Number.isInteger(id) || byIndex.has(id)) {
        throw new NerveError(op, 'distinct integer parameter indices', describeValue(id));
      }
      byIndex.set(id, { p: cur.params[j], group: gi });
    });
    const hyper = copyHyper(op, saved);
    checkGroup({ ...hyper, params: cur.params } as ParamGroup);
    return hyper;
  });
  if (!isPlainObject(state)) {
    throw new NerveError(
      op,
      'state to be an object keyed by parameter index',
      describeValue(state),
    );
  }
  const allowed = new Set([...spec.tensors, ...spec.numbers, ...spec.optional]);
  const loaded = new Map<Tensor, ParamState>();
  for (const [key, entry] of Object.entries(state)) {
    const target = byIndex.get(Number(key));
    if (!target) {
      throw new NerveError(op, 'state keyed by parameter indices listed in paramGroups', key);
    }
    if (!isPlainObject(entry)) {
      throw new NerveError(op, `state[${key}] to be an object`, describeValue(entry));
    }
    const keys = Object.keys(entry);
    if (keys.length === 0) continue;
    for (const k of keys) {
      if (!allowed.has(k)) {
        throw new NerveError(op, `state keys among ${[...allowed].join(', ')}`, `'${k}'`);
      }
    }
    const p = target.p;
    for (const k of [...spec.tensors, ...spec.optional]) {
      const t = entry[k];
      if (t === undefined && spec.optional.includes(k)) continue;
      if (!(t instanceof Tensor) || t.isDisposed) {
        throw new NerveError(op, `state[${key}].${k} to be a live tensor`, describeValue(t));
      }
      if (t.dtype !== 'float32' || t.shape.join() !== p.shape.join() || t.backend !== p.backend) {
        throw new NerveError(
          op,
          `state[${key}].${k} to be float32 of shape [${p.shape}] on '${p.backend.name}'`,
          `${t.dtype} of shape [${t.shape}] on '${t.backend.name}'`,
        );
      }
    }
    for (const k of spec.numbers) {
      checkNumber(op, `state[${key}].${k}`, entry[k]);
    }
    loaded.set(p, entry);
  }
  return { hypers, loaded };
}
