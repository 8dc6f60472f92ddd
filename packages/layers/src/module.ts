/**
 * Module: the base of every layer and model. A module owns parameters
 * (trainable tensors), buffers (state that is saved but not trained, such as
 * BatchNorm's running statistics) and child modules, each registered by name,
 * so that names compose into PyTorch-style dotted keys (`features.0.weight`).
 *
 * Implement `forward`; invoke a module with `call` (PyTorch's `module(x)`),
 * which also runs the forward hooks that monitors attach.
 */
import { NerveError, type Tensor, describeValue, keep, noGrad, tidy, zeros } from '@nerve/core';

/** Called after a module's forward pass with its inputs and output. */
export type ForwardHook = (module: Module, inputs: readonly Tensor[], output: Tensor) => void;

/** Options of `Module.loadStateDict`. */
export interface LoadStateDictOptions {
  /** Reject missing and unexpected keys (default true). Shape mismatches are always rejected. */
  strict?: boolean;
}

/** What `loadStateDict` could not match (only non-empty when `strict` is false). */
export interface LoadStateDictResult {
  /** Names the module has and the dict lacked. */
  missingKeys: string[];
  /** Names the dict has and the module lacks. */
  unexpectedKeys: string[];
}

/** A name pattern: exact dotted name, a glob with `*` (e.g. `features.*`), or a RegExp. */
export type NamePattern = string | RegExp;

/**
 * Whether the dotted name `name` matches `pattern` (exact name or a prefix of it, a `*` glob, or a
 * RegExp).
 */
export function matchesPattern(name: string, pattern: NamePattern): boolean {
  if (pattern instanceof RegExp) return pattern.test(name);
  if (!pattern.includes('*')) return name === pattern || name.startsWith(`${pattern}.`);
  const re = new RegExp(`^${pattern.split('*').map(escapeRe).join('.*')}$`);
  return re.test(name);
}

function escapeRe(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The base class of layers and models, as PyTorch's nn.Module: it registers parameters, buffers and
 * child modules by name, and gives them back (`parameters()`, `stateDict()`), switches training and
 * evaluation mode, and disposes its tensors. A subclass implements `forward`; `call` runs it with the forward hooks.
 */
export abstract class Module {
  /** Training mode (true) or evaluation mode (false); see `train()` / `eval()`. */
  training = true;
  private readonly _parameters = new Map<string, Tensor>();
  private readonly _buffers = new Map<string, Tensor>();
  private readonly _children = new Map<string, Module>();
  private readonly _hooks = new Set<ForwardHook>();
  private _frozenByName = false;

  /** The computation. Call modules through `call` so hooks run. */
  abstract forward(...inputs: Tensor[]): Tensor;

  /** Runs `forward` and then every forward hook (PyTorch's `module(x)`). */
  call(...inputs: Tensor[]): Tensor {
    const out = this.forward(...inputs);
    for (const h of this._hooks) h(this, inputs, out);
    return out;
  }

  /** Adds a hook run after every `call`; returns a function that removes it. */
  registerForwardHook(hook: ForwardHook): () => void {
    this._hooks.add(hook);
    return () => this._hooks.delete(hook);
  }

  /** Registers a trainable tensor under `name`; it is kept alive and requires grad. */
  protected registerParameter(name: string, t: Tensor): Tensor {
    this.checkName('registerParameter', name);
    if (t.dtype !== 'float32') {
      throw new NerveError(
        'registerParameter',
        'a float32 tensor',
        `a ${t.dtype} tensor for '${name}'`,
      );
    }
    t.requiresGrad = true;
    keep(t);
    this._parameters.set(name, t);
    return t;
  }

  /** Registers a tensor that is saved in the state dict but not trained. */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    this.checkName('registerBuffer', name);
    keep(t);
    this._buffers.set(name, t);
    return t;
  }

  /** Registers a child module under `name`. */
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.checkName('registerModule', name);
    if (!(m instanceof Module)) throw new NerveError('registerModule', 'a Module', String(m));
    this._children.set(name, m);
    return m;
  }

  /**
   * Replaces the registered child `name` of this module (e.g. a classifier
   * head), disposing nothing; `setSubmodule` takes a dotted path.
   */
  setModule(name: string, m: Module): void {
    this._replaceChild('setModule', name, m, name);
  }

  /**
   * The module at a dotted path of child names (PyTorch's `get_submodule`):
   * `''` is this module, `'layer4.1.conv2'` a descendant. A step that names
   * no child, or a path that ends at a parameter or buffer, is a NerveError
   * naming it and the children there are.
   */
  getSubmodule(path: string): Module {
    // The models' child getters call this on every forward: a direct child is
    // one map lookup, with no split and no array.
    const child = this._children.get(path);
    if (child) return child;
    return this._resolvePath('getSubmodule', path);
  }

  /**
   * Replaces the module at a dotted path (PyTorch's `set_submodule`), e.g.
   * `model.setSubmodule('layer4.1.conv2', new Conv2d(…))`, and returns the
   * old one, disposing nothing (dispose it when nothing else uses it). The
   * path must name an existing child; the new module is used by `forward`
   * from now on and listed by `parameters()` and `stateDict()` under the
   * same names. It keeps its own mode and frozen flags, as in PyTorch: a
   * fresh layer in a frozen network trains until frozen again.
   *
   * Modules read their children from the registry (getters in
   * @nerve/models), so the registry is the one place a child lives. A parent
   * that also keeps the old child in a field of its own (a plain property or
   * an array) would go on calling it: that is refused with a NerveError
   * before anything changes.
   */
  setSubmodule(path: string, m: Module): Module {
    const op = 'setSubmodule';
    if (typeof path !== 'string' || path === '') {
      throw new NerveError(
        op,
        "a dotted path of child names, e.g. 'layer4.1.conv2'",
        describeValue(path),
      );
    }
    const cut = path.lastIndexOf('.');
    const parent = cut < 0 ? this : this._resolvePath(op, path.slice(0, cut), path);
    return parent._replaceChild(op, path.slice(cut + 1), m, path);
  }

  /** The descendant at `path` ('' for this module); errors under `op` name `whole`. */
  private _resolvePath(op: string, path: string, whole = path): Module {
    if (typeof path !== 'string') {
      throw new NerveError(op, 'a dotted path of child names', describeValue(path));
    }
    if (path === '') return this;
    let m: Module = this;
    const parts = path.split('.');
    for (const [i, part] of parts.entries()) {
      const next = m._children.get(part);
      if (!next) throw m._notAChild(op, part, parts.slice(0, i).join('.'), whole);
      m = next;
    }
    return m;
  }

  /** The error for `name`, which is no child of this module (at `at` in the path `whole`). */
  private _notAChild(op: string, name: string, at: string, whole: string): NerveError {
    const where = at === '' ? `the ${this.constructor.name}` : `'${at}' (${this.constructor.name})`;
    const own = this._parameters.has(name)
      ? 'parameter'
      : this._buffers.has(name)
        ? 'buffer'
        : undefined;
    if (own) {
      return NerveError.raw(op, `'${whole}' is a ${own} of ${where}, not a module`);
    }
    const kids = [...this._children.keys()];
    return new NerveError(
      op,
      kids.length === 0
        ? `a path of child modules ('${whole}': ${where} has no children)`
        : `a path of child modules (${where} has [${kids.join(', ')}])`,
      `'${name}' in '${whole}'`,
    );
  }

  /** Puts `m` in place of the child `name`; returns the old child. */
  private _replaceChild(op: string, name: string, m: Module, whole: string): Module {
    if (!(m instanceof Module)) throw new NerveError(op, 'a Module', describeValue(m));
    const old = this._children.get(name);
    if (!old) {
      throw this._notAChild(
        op,
        name,
        whole.slice(0, Math.max(0, whole.length - name.length - 1)),
        whole,
      );
    }
    if (m.modules().includes(this)) {
      throw NerveError.raw(op, `the new module for '${whole}' contains its parent (a cycle)`);
    }
    for (const [key, d] of Object.entries(Object.getOwnPropertyDescriptors(this))) {
      const v = d.value;
      if (v === old || (Array.isArray(v) && v.includes(old))) {
        throw NerveError.raw(
          op,
          `${this.constructor.name} also keeps '${name}' in its field '${key}', so its forward would go on calling the old module (read the child from the registry instead: a getter returning this.getSubmodule('${name}'))`,
        );
      }
    }
    this._children.set(name, m);
    return old;
  }

  /** Replaces a buffer's tensor (the old one is disposed). */
  protected setBuffer(name: string, t: Tensor): void {
    const old = this._buffers.get(name);
    this._buffers.set(name, keep(t));
    if (old && old !== t) old.dispose();
  }

  /** A registered buffer by name. */
  protected buffer(name: string): Tensor {
    const b = this._buffers.get(name);
    if (!b) throw NerveError.raw('buffer', `no buffer named '${name}'`);
    return b;
  }

  private checkName(op: string, name: string): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new NerveError(op, 'a non-empty name without dots', JSON.stringify(name));
    }
    if (this._parameters.has(name) || this._buffers.has(name) || this._children.has(name)) {
      throw NerveError.raw(op, `'${name}' is already registered`);
    }
  }

  /** Direct children with their names. */
  namedChildren(): [string, Module][] {
    return [...this._children];
  }

  /** The direct child modules, in registration order. */
  children(): Module[] {
    return [...this._children.values()];
  }

  /** This module and all descendants, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, c] of this._children) out.push(...c.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  /** This module and every descendant, depth first. */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** All parameters with dotted names, each tensor once (first name wins when shared). */
  namedParameters(): [string, Tensor][] {
    return this.collect((m) => m._parameters);
  }

  /** Every parameter of this module and its descendants (trainable or frozen). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Parameters that currently require grad (not frozen). */
  trainableParameters(): Tensor[] {
    return this.parameters().filter((p) => p.requiresGrad);
  }

  /** Every buffer (saved, not trained state such as running statistics) with its dotted name. */
  namedBuffers(): [string, Tensor][] {
    return this.collect((m) => m._buffers);
  }

  /** Every buffer of this module and its descendants. */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  private collect(pick: (m: Module) => Map<string, Tensor>): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [n, t] of pick(m)) {
        if (seen.has(t)) continue;
        seen.add(t);
        out.push([prefix ? `${prefix}.${n}` : n, t]);
      }
    }
    return out;
  }

  /** Sets training mode on this module and its descendants. */
  train(mode = true): this {
    for (const m of this.modules()) m.setTraining(mode);
    return this;
  }

  /** Evaluation mode (dropout off, BatchNorm uses running statistics). */
  eval(): this {
    return this.train(false);
  }

  /** Hook for modules whose mode depends on more than the request (frozen BatchNorm). */
  protected setTraining(mode: boolean): void {
    this.training = mode;
  }

  /**
   * Stops gradients for parameters: all of them, or those whose dotted name
   * matches `pattern` (e.g. 'features', 'features.*', /conv/). A module whose
   * parameters are all frozen is marked frozen (BatchNorm then stays in eval mode).
   */
  freeze(pattern?: NamePattern): this {
    return this.setFrozen(true, pattern);
  }

  /** Undoes `freeze` for all parameters or those matching `pattern`. */
  unfreeze(pattern?: NamePattern): this {
    return this.setFrozen(false, pattern);
  }

  private setFrozen(frozen: boolean, pattern?: NamePattern): this {
    const covers = (name: string) => pattern === undefined || matchesPattern(name, pattern);
    const mods = this.namedModules().filter(([prefix]) => prefix !== '' && covers(prefix));
    const params: Tensor[] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [n, t] of m._parameters) if (covers(prefix ? `${prefix}.${n}` : n)) params.push(t);
    }
    if (pattern !== undefined && params.length === 0 && mods.length === 0) {
      throw new NerveError(
        frozen ? 'freeze' : 'unfreeze',
        `a pattern matching some of [${this.namedModules()
          .map(([n]) => n)
          .filter((n) => n !== '')
          .join(', ')}] or their parameters`,
        String(pattern),
      );
    }
    for (const t of params) t.requiresGrad = !frozen;
    // Modules without parameters (an affine-free BatchNorm) are frozen by name.
    for (const [, m] of mods) m._frozenByName = frozen;
    if (pattern === undefined) this._frozenByName = frozen;
    // Re-apply the mode so modules that must stay in eval when frozen do.
    for (const m of this.modules()) m.setTraining(m.training);
    return this;
  }

  /**
   * True when `freeze` covered this module, or when it has parameters and
   * none of them requires grad.
   */
  get frozen(): boolean {
    const ps = [...this._parameters.values()];
    if (ps.length === 0) return this._frozenByName;
    return ps.every((p) => !p.requiresGrad);
  }

  /** Parameters and buffers by dotted name (the tensors themselves, not copies). */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [n, t] of this.namedParameters()) out[n] = t;
    for (const [n, t] of this.namedBuffers()) out[n] = t;
    return out;
  }

  /**
   * Copies values from `dict` into this module's parameters and buffers.
   * Every problem (missing keys, unexpected keys, shape or dtype mismatches)
   * is collected and reported in one error, and nothing changes when it throws.
   */
  loadStateDict(
    dict: Record<string, Tensor>,
    opts: LoadStateDictOptions = {},
  ): LoadStateDictResult {
    const strict = opts.strict ?? true;
    if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) {
      throw new NerveError('loadStateDict', 'an object of tensors by name', typeof dict);
    }
    // Maps of own keys only: a file's names such as `__proto__`, `constructor`
    // or `toString` must not reach Object.prototype.
    const own = new Map(Object.entries(this.stateDict()));
    const given = new Map<string, unknown>(Object.keys(dict).map((k) => [k, ownValue(dict, k)]));
    const missingKeys = [...own.keys()].filter((k) => !given.has(k));
    const unexpectedKeys = [...given.keys()].filter((k) => !own.has(k));
    const problems: string[] = [];
    for (const [k, t] of given) {
      const target = own.get(k);
      if (!target) continue;
      if (!isLiveTensorLike(t)) {
        problems.push(`'${k}': expected a Tensor, received ${typeof t}`);
      } else if (t.isDisposed) {
        problems.push(`'${k}': the tensor was disposed`);
      } else if (t.shape.join() !== target.shape.join()) {
        problems.push(
          `'${k}': shape [${t.shape.join(',')}] does not match the module's [${target.shape.join(',')}]`,
        );
      } else if (t.dtype !== target.dtype) {
        problems.push(`'${k}': dtype ${t.dtype} does not match the module's ${target.dtype}`);
      }
    }
    if (strict) {
      for (const k of missingKeys) problems.push(`missing key '${k}'`);
      for (const k of unexpectedKeys) problems.push(`unexpected key '${k}'`);
    }
    if (problems.length > 0) {
      throw NerveError.raw(
        'loadStateDict',
        `rejected (nothing was loaded): ${problems.join('; ')}`,
      );
    }
    noGrad(() => {
      for (const [k, target] of own) {
        const src = given.get(k) as Tensor | undefined;
        if (!src) continue;
        // A private copy: the caller may dispose or reuse its tensors. The
        // target takes over its buffer; the copy's own handle is released.
        const copy = tidy(() => src.contiguous().clone());
        target.assign(copy);
        copy.dispose();
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Clears the gradients of all parameters. */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Number of parameter elements (trainable only, when asked). */
  numParameters(trainableOnly = false): number {
    return this.parameters()
      .filter((p) => !trainableOnly || p.requiresGrad)
      .reduce((s, p) => s + p.size, 0);
  }

  /**
   * A table of layers, their output shapes for an input of `inputShape`
   * (batch included) and their parameter counts. Runs one forward pass on zeros.
   */
  summary(inputShape: readonly number[]): string {
    const rows: [string, string, string, string][] = [['name', 'type', 'output shape', 'params']];
    const removers: (() => void)[] = [];
    for (const [name, m] of this.namedModules()) {
      if (m === this) continue;
      removers.push(
        m.registerForwardHook((mod, _inputs, out) => {
          const own = [...mod._parameters.values()].reduce((s, p) => s + p.size, 0);
          rows.push([name, mod.constructor.name, `[${out.shape.join(', ')}]`, String(own)]);
        }),
      );
    }
    const wasTraining = this.training;
    try {
      this.eval();
      tidy(() => noGrad(() => this.call(zeros(inputShape))));
    } finally {
      for (const r of removers) r();
      this.train(wasTraining);
    }
    const total = this.numParameters();
    const trainable = this.numParameters(true);
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const line = (r: string[]) => r.map((v, c) => v.padEnd(widths[c])).join('  ');
    return [
      `${this.constructor.name}`,
      line(rows[0]),
      ...rows.slice(1).map(line),
      `total parameters: ${total} (trainable ${trainable}, frozen ${total - trainable})`,
    ].join('\n');
  }

  /** Frees every parameter and buffer of this module and its descendants. */
  dispose(): void {
    for (const t of this.parameters()) t.dispose();
    for (const t of this.buffers()) t.dispose();
  }
}

/** `obj[key]` only when `key` is the object's own property (never an inherited one). */
function ownValue(obj: object, key: string): unknown {
  return Object.getOwnPropertyDescriptor(obj, key)?.value;
}

function isLiveTensorLike(t: unknown): t is Tensor {
  return !!t && typeof t === 'object' && (t as { isTensor?: boolean }).isTensor === true;
}

/** Runs modules one after another; children are named '0', '1', … */
export class Sequential extends Module {
  constructor(...layers: Module[]) {
    super();
    for (const [i, l] of layers.entries()) this.registerModule(String(i), l);
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const [, l] of this.namedChildren()) y = l.call(y);
    return y;
  }

  /** The i-th layer (negative counts from the end). */
  at(i: number): Module {
    const kids = this.children();
    const k = i < 0 ? kids.length + i : i;
    if (!Number.isInteger(k) || k < 0 || k >= kids.length) {
      throw new NerveError(
        'Sequential.at',
        `an index in [${-kids.length}, ${kids.length - 1}]`,
        String(i),
      );
    }
    return kids[k];
  }

  /** Number of child modules. */
  get length(): number {
    return this.namedChildren().length;
  }
}
