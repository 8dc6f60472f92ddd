/**
 * Transfer learning: reuse a network whose weights were learned on one task
 * for another (Yosinski et al. 2014, "How transferable are features in deep
 * neural networks?"). Swap the head for one sized to the new task, freeze
 * or slow down the pretrained layers (discriminative learning rates, Howard
 * & Ruder 2018), and unfreeze them gradually (transfer-unfreeze.ts).
 *
 * By hand, without these helpers: `model.setModule(name, head)` replaces any
 * registered child (for a Sequential the last child is named
 * `String(model.length - 1)`), `model.freeze('0')` / `model.freeze(/^features/)`
 * stops gradients by name pattern, and an optimizer takes param groups
 * `[{ params, lr }, ...]`.
 */
import { NerveError, type Tensor, describeValue } from '@nerve/core';
import { Module, type NamePattern, Sequential, matchesPattern } from '@nerve/layers';
import type { ParamGroupOptions } from '@nerve/optim';

/**
 * Replaces the last child of `model` (its classifier head) with `newHead`
 * and returns the old head, which the caller may dispose or reuse.
 */
export function replaceHead(model: Sequential, newHead: Module): Module {
  const op = 'replaceHead';
  if (!(model instanceof Sequential)) {
    throw new NerveError(
      op,
      'a Sequential model (use model.setModule(name, head) for others)',
      describeValue(model),
    );
  }
  if (!(newHead instanceof Module))
    throw new NerveError(op, 'the new head as a Module', describeValue(newHead));
  const kids = model.namedChildren();
  if (kids.length === 0)
    throw new NerveError(op, 'a Sequential with at least one layer', 'an empty Sequential');
  const [name, old] = kids[kids.length - 1];
  if (old === newHead) throw NerveError.raw(op, 'the new head is already the last layer');
  if (model.modules().includes(newHead)) {
    throw NerveError.raw(op, 'the new head is already part of the model; pass a fresh module');
  }
  model.setModule(name, newHead);
  return old;
}

/** One rule of `discriminativeParamGroups`: parameters whose name matches `pattern` train at `lr`. */
export interface LayerLr {
  /** Dotted parameter or module name, a glob with `*`, or a RegExp (as `Module.freeze` takes). */
  pattern: NamePattern;
  /** Learning rate of the matched parameters. */
  lr: number;
  /** Other hyperparameters for this group (weightDecay, momentum, ...). */
  [hyper: string]: unknown;
}

/** Options of `discriminativeParamGroups`. */
export interface DiscriminativeOptions {
  /** Learning rate of trainable parameters no rule matches; omitted: the optimizer's default lr. */
  defaultLr?: number;
}

/** A param group as `discriminativeParamGroups` builds it: the rule's pattern is kept as `name`. */
export interface NamedParamGroup extends ParamGroupOptions {
  /** The rule's pattern as text, or 'default' for the parameters no rule matched. */
  name: string;
}

/**
 * Param groups with a learning rate per part of the model, typically small
 * for pretrained layers and larger for the new head (Howard & Ruder 2018).
 * Each trainable parameter joins the group of the first rule whose pattern
 * matches its dotted name, or the default group; frozen parameters join
 * none, and groups left empty are omitted. A pattern that matches no
 * parameter at all (frozen or not) is rejected, as a likely typo.
 */
export function discriminativeParamGroups(
  model: Module,
  rules: readonly LayerLr[],
  opts: DiscriminativeOptions = {},
): NamedParamGroup[] {
  const op = 'discriminativeParamGroups';
  if (!(model instanceof Module)) throw new NerveError(op, 'a Module', describeValue(model));
  if (!Array.isArray(rules))
    throw new NerveError(op, 'an array of { pattern, lr }', describeValue(rules));
  const named = model.namedParameters();
  const problems: string[] = [];
  rules.forEach((r, i) => {
    if (r === null || typeof r !== 'object') {
      problems.push(`rules[${i}] is ${describeValue(r)}, not { pattern, lr }`);
      return;
    }
    if (typeof r.pattern !== 'string' && !(r.pattern instanceof RegExp)) {
      problems.push(`rules[${i}].pattern is ${describeValue(r.pattern)}, not a string or RegExp`);
    } else if (!named.some(([n]) => matchesPattern(n, r.pattern))) {
      problems.push(`rules[${i}].pattern ${String(r.pattern)} matches no parameter`);
    }
    if (!isLr(r.lr)) problems.push(`rules[${i}].lr is ${describeValue(r.lr)}, not a number ≥ 0`);
  });
  if (opts.defaultLr !== undefined && !isLr(opts.defaultLr)) {
    problems.push(`defaultLr is ${describeValue(opts.defaultLr)}, not a number ≥ 0`);
  }
  if (problems.length > 0) {
    const names = named.map(([n]) => n).join(', ');
    throw NerveError.raw(op, `${problems.join('; ')} (parameters: ${names})`);
  }
  const buckets: Tensor[][] = rules.map(() => []);
  const rest: Tensor[] = [];
  for (const [name, p] of named) {
    if (!p.requiresGrad) continue;
    const i = rules.findIndex((r) => matchesPattern(name, r.pattern));
    (i >= 0 ? buckets[i] : rest).push(p);
  }
  const groups: NamedParamGroup[] = [];
  rules.forEach(({ pattern, ...hyper }, i) => {
    if (buckets[i].length > 0) groups.push({ ...hyper, name: String(pattern), params: buckets[i] });
  });
  if (rest.length > 0) {
    const g: NamedParamGroup = { name: 'default', params: rest };
    if (opts.defaultLr !== undefined) g.lr = opts.defaultLr;
    groups.push(g);
  }
  if (groups.length === 0) {
    throw NerveError.raw(op, 'every parameter is frozen: there is nothing to train');
  }
  return groups;
}

function isLr(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}
