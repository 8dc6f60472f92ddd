/**
 * The Optimizer base: parameter groups with per-group hyperparameters,
 * per-parameter state, gradient clearing and state dicts, as in
 * torch.optim.Optimizer. Subclasses write one parameter's update.
 */
import { NerveError, Tensor, clone, keep, noGrad, tidy, describeValue } from '@nerve/core';
import type {
  OptimizerStateDict,
  ParamGroup,
  ParamGroupOptions,
  ParamState,
  Params,
  StateSpec,
} from './optimizer-types.js';
import { checkStateDict, copyHyper, isPlainObject } from './state-check.js';
import { checkNumber } from './validate.js';

export type {
  OptimizerStateDict,
  ParamGroup,
  ParamGroupOptions,
  ParamState,
  Params,
  StateSpec,
} from './optimizer-types.js';

/** Base class of every optimizer (PyTorch's torch.optim.Optimizer). */
export abstract class Optimizer {
  /** Hyperparameters a group takes when it does not set its own. */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** The parameter groups; schedulers and users may change their hyperparameters between steps. */
  readonly paramGroups: ParamGroup[] = [];
  /** Per-parameter state, created on a parameter's first update. */
  readonly state = new Map<Tensor, ParamState>();

  constructor(params: Params, defaults: Record<string, unknown>) {
    const op = this.constructor.name;
    this.defaults = Object.freeze(copyHyper(op, defaults));
    if (!Array.isArray(params)) {
      throw new NerveError(op, 'an array of tensors or of param groups', describeValue(params));
    }
    if (params.length === 0) {
      throw new NerveError(op, 'at least one parameter', 'an empty parameter list');
    }
    const groups: readonly unknown[] = params[0] instanceof Tensor ? [{ params }] : params;
    for (const g of groups) this.addParamGroup(g as ParamGroupOptions);
  }

  /** Checks a group's own hyperparameters (lr and weightDecay are checked by the base). */
  protected abstract validateGroup(group: ParamGroup, op: string): void;

  /** Updates one parameter from its gradient; runs inside noGrad and tidy. */
  protected abstract update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup): void;

  /** The state keys this optimizer creates, for checking loaded state. */
  protected abstract stateSpec(): StateSpec;

  /** Adds a group of parameters (e.g. layers unfrozen during finetuning). */
  addParamGroup(group: ParamGroupOptions): void {
    const op = `${this.constructor.name}.addParamGroup`;
    if (!isPlainObject(group)) {
      throw new NerveError(op, 'a param group { params, lr?, ... }', describeValue(group));
    }
    const raw: unknown = group.params;
    const params = raw instanceof Tensor ? [raw] : raw;
    if (!Array.isArray(params)) {
      throw new NerveError(op, 'params to be an array of tensors', describeValue(raw));
    }
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    for (const [i, p] of params.entries()) {
      if (!(p instanceof Tensor))
        throw new NerveError(op, `params[${i}] to be a Tensor`, describeValue(p));
      p.assertAlive(op);
      if (p.dtype !== 'float32') {
        throw new NerveError(op, `params[${i}] to be a float32 tensor`, `a ${p.dtype} tensor`);
      }
      if (!p.isLeaf) {
        throw new NerveError(
          op,
          `params[${i}] to be a leaf tensor (a parameter)`,
          `the output of '${p.gradFn?.name}'`,
        );
      }
      if (!p.isContiguous || p.offset !== 0) {
        throw new NerveError(op, `params[${i}] to be contiguous`, 'a strided view');
      }
      if (seen.has(p)) {
        throw NerveError.raw(op, `params[${i}] (${p}) appears in more than one param group`);
      }
      seen.add(p);
    }
    const merged = { ...this.defaults, ...copyHyper(op, group), params: [...params] };
    this.checkGroup(merged as ParamGroup, op);
    this.paramGroups.push(merged as ParamGroup);
  }

  private checkGroup(group: ParamGroup, op: string): void {
    if (group.lr === undefined) {
      throw new NerveError(op, 'lr in the options or in every param group', 'none');
    }
    checkNumber(op, 'lr', group.lr);
    checkNumber(op, 'weightDecay', group.weightDecay);
    this.validateGroup(group, op);
  }

  /**
   * One optimization step over every parameter that has a gradient
   * (parameters whose grad is null are skipped, as in PyTorch).
   */
  step(): void {
    const op = `${this.constructor.name}.step`;
    for (const group of this.paramGroups) {
      this.checkGroup(group, op);
      for (const p of group.params) {
        p.assertAlive(op);
        const g = p.grad;
        if (!g) continue;
        g.assertAlive(op);
        if (g.dtype !== 'float32' || !sameShape(g.shape, p.shape)) {
          throw new NerveError(
            op,
            `a float32 gradient of shape [${p.shape}]`,
            `a ${g.dtype} gradient of shape [${g.shape}]`,
          );
        }
      }
    }
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          const grad = p.grad;
          if (!grad) continue;
          let s = this.state.get(p);
          if (!s) this.state.set(p, (s = {}));
          const state = s;
          tidy(() => this.update(p, grad, state, group));
        }
      }
    });
  }

  /** Clears every parameter's gradient (disposes it and sets it to null). */
  zeroGrad(): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad) {
          p.grad.dispose();
          p.grad = null;
        }
      }
    }
  }

  /** A copy of the state and hyperparameters; the caller owns (and disposes) its tensors. */
  stateDict(): OptimizerStateDict {
    const op = `${this.constructor.name}.stateDict`;
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => ({
      ...copyHyper(op, g),
      params: g.params.map((p) => {
        index.set(p, index.size);
        return index.size - 1;
      }),
    }));
    const state: Record<number, ParamState> = {};
    noGrad(() => {
      for (const [p, s] of this.state) {
        const i = index.get(p);
        if (i === undefined || Object.keys(s).length === 0) continue;
        const entry: ParamState = {};
        for (const [k, v] of Object.entries(s)) entry[k] = typeof v === 'number' ? v : clone(v);
        state[i] = entry;
      }
    });
    return { state, paramGroups };
  }

  /**
   * Restores state and hyperparameters saved by `stateDict` (parameters are
   * matched by position). Everything is checked before anything changes;
   * the tensors are copied, so the caller may dispose them afterwards.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const op = `${this.constructor.name}.loadStateDict`;
    const { hypers, loaded } = checkStateDict(
      op,
      stateDict,
      this.paramGroups,
      this.stateSpec(),
      (g) => this.checkGroup(g, op),
    );
    // Everything checked: replace the state with copies and the hyperparameters.
    const copies = new Map<Tensor, ParamState>();
    noGrad(() => {
      for (const [p, entry] of loaded) {
        const s: ParamState = {};
        for (const [k, v] of Object.entries(entry))
          s[k] = typeof v === 'number' ? v : keep(clone(v));
        copies.set(p, s);
      }
    });
    this.disposeState();
    for (const [p, s] of copies) this.state.set(p, s);
    this.paramGroups.forEach((g, gi) => {
      for (const k of Object.keys(g)) if (k !== 'params') delete g[k];
      Object.assign(g, hypers[gi]);
    });
  }

  /** Frees all state tensors (the optimizer starts afresh on its next step). */
  disposeState(): void {
    for (const s of this.state.values()) {
      for (const v of Object.values(s)) if (typeof v !== 'number') v.dispose();
    }
    this.state.clear();
  }
}

/** The state tensor `key`, created by `init` (and kept) on first use. */
/** Equal shapes, without building strings (this runs per parameter per step). */
function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function stateTensor(state: ParamState, key: string, init: () => Tensor): Tensor {
  const t = state[key];
  if (t instanceof Tensor) return t;
  const created = keep(init());
  state[key] = created;
  return created;
}
