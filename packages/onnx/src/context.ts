/**
 * The graph under construction and the registry of exporters. An exporter
 * turns one module (of one class) into ONNX nodes: it receives the module's
 * input as an `OnnxValue` (a value name and its static shape) and returns
 * its output. Composite modules export their children through
 * `ctx.module(child, name, input)`, so errors name the full dotted path.
 */
import { NerveError, type Tensor } from '@nerve/core';
import type { Module } from '@nerve/layers';
import type { AttributeValue, OnnxInitializer, OnnxNode } from './onnx-proto.js';

/** A value in the graph: its name and its shape (the batch dimension as exported). */
export interface OnnxValue {
  /** The value's name in the graph (a node's output, an initializer or the graph's input). */
  readonly name: string;
  /** Its static shape, batch first, with the batch size of `inputShape`. */
  readonly shape: readonly number[];
}

/** Attributes of a node, as plain numbers and arrays (ints unless listed in `floats`). */
export type Attributes = Readonly<Record<string, number | readonly number[]>>;

/** Turns `module` applied to `input` into nodes of `ctx`; returns the output value. */
export type OnnxExporter<M extends Module = Module> = (
  module: M,
  input: OnnxValue,
  ctx: OnnxExportContext,
) => OnnxValue;

type ModuleClass<M extends Module> = abstract new (...args: any[]) => M;

const registry = new Map<ModuleClass<Module>, OnnxExporter>();

/** Sets the exporter of exactly `cls` (the public entry is `registerOnnxExporter`). */
export function defineExporter<M extends Module>(
  cls: ModuleClass<M>,
  exporter: OnnxExporter<M>,
): void {
  if (typeof cls !== 'function') {
    throw new NerveError('registerOnnxExporter', 'a Module class', String(cls));
  }
  if (typeof exporter !== 'function') {
    throw new NerveError('registerOnnxExporter', 'an exporter function', String(exporter));
  }
  registry.set(cls, exporter as OnnxExporter);
}

/** The exporter registered for the module's own class, if any. */
export function onnxExporterFor(module: Module): OnnxExporter | undefined {
  return registry.get(module.constructor as ModuleClass<Module>);
}

/** Names of the attributes that are floats (everything else numeric is an int). */
const FLOAT_ATTRIBUTES = new Set(['alpha', 'beta', 'gamma', 'epsilon', 'momentum']);

/** What exporters build the graph with. */
export class OnnxExportContext {
  /** The opset the graph targets (the default domain). */
  readonly opset: number;
  /** The nodes so far, in topological order. */
  readonly nodes: OnnxNode[] = [];
  /** The constants so far. */
  readonly initializers: OnnxInitializer[] = [];
  private readonly used = new Set<string>();
  private readonly tensorData: ReadonlyMap<Tensor, Float32Array>;
  private readonly path: string[] = [];

  /** A context for `opset` whose `weight` reads the model's tensors from `tensorData`. */
  constructor(opset: number, tensorData: ReadonlyMap<Tensor, Float32Array>) {
    this.opset = opset;
    this.tensorData = tensorData;
  }

  /** A name not used yet, from `hint` (made unique with a suffix). */
  uniqueName(hint: string): string {
    let name = hint;
    for (let i = 1; this.used.has(name); i++) name = `${hint}_${i}`;
    this.used.add(name);
    return name;
  }

  /** The dotted path of the module being exported ('' at the top). */
  get currentPath(): string {
    return this.path.join('.');
  }

  private scoped(what: string): string {
    const p = this.currentPath;
    return p ? `${p}/${what}` : what;
  }

  /** A float32 constant from a module's parameter or buffer (read before the export began). */
  weight(t: Tensor, hint: string, dims: readonly number[] = t.shape): string {
    const data = this.tensorData.get(t);
    if (!data) {
      throw NerveError.raw(
        'exportOnnx',
        `${this.currentPath || 'the model'}: '${hint}' is not a parameter or buffer of the model`,
      );
    }
    return this.constant(data, dims, hint);
  }

  /** A float32 constant (a scalar when `dims` is []). */
  constant(data: Float32Array | readonly number[], dims: readonly number[], hint: string): string {
    const name = this.uniqueName(this.scoped(hint));
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    const size = dims.reduce((a, b) => a * b, 1);
    if (values.length !== size) {
      throw NerveError.raw(
        'exportOnnx',
        `constant '${name}' has ${values.length} values for dims [${dims.join(',')}]`,
      );
    }
    this.initializers.push({ name, dims: [...dims], data: values });
    return name;
  }

  /** An int64 constant, e.g. a Reshape's target shape. */
  int64(values: readonly number[], hint: string): string {
    const name = this.uniqueName(this.scoped(hint));
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: [values.length], data });
    return name;
  }

  /** Adds a node; returns its output value names (`outputs` of them, default 1). */
  node(opType: string, inputs: readonly string[], attrs: Attributes = {}, outputs = 1): string[] {
    const name = this.uniqueName(this.scoped(opType));
    const outs = Array.from({ length: outputs }, (_, i) =>
      this.uniqueName(outputs === 1 ? `${name}:0` : `${name}:${i}`),
    );
    const attributes: Record<string, AttributeValue> = {};
    for (const [k, v] of Object.entries(attrs)) {
      const isFloat = FLOAT_ATTRIBUTES.has(k);
      attributes[k] = Array.isArray(v)
        ? { type: isFloat ? 'floats' : 'ints', value: v }
        : { type: isFloat ? 'float' : 'int', value: v as number };
    }
    this.nodes.push({ opType, name, inputs, outputs: outs, attributes });
    return outs;
  }

  /** One node with one output of the given shape. */
  op(
    opType: string,
    inputs: readonly string[],
    shape: readonly number[],
    attrs: Attributes = {},
  ): OnnxValue {
    return { name: this.node(opType, inputs, attrs)[0], shape };
  }

  /** A reduction over `axes` (attribute up to opset 17, input from 18 on). */
  reduce(opType: string, x: OnnxValue, axes: number[], keepDims: boolean): OnnxValue {
    const rank = x.shape.length;
    const norm = axes.map((a) => (a < 0 ? a + rank : a));
    const shape = keepDims
      ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !norm.includes(i));
    const keepdims = keepDims ? 1 : 0;
    if (this.opset >= 18) {
      return this.op(opType, [x.name, this.int64(axes, 'axes')], shape, { keepdims });
    }
    return this.op(opType, [x.name], shape, { axes, keepdims });
  }

  /** x reshaped to `shape` (0 keeps the input's dimension at that index, −1 is inferred). */
  reshape(x: OnnxValue, target: readonly number[], shape: readonly number[]): OnnxValue {
    return this.op('Reshape', [x.name, this.int64(target, 'shape')], shape);
  }

  /** Exports a child module under `name` (its segment of the dotted path). */
  module(child: Module, name: string, input: OnnxValue): OnnxValue {
    this.path.push(name);
    try {
      return this.exportModule(child, input);
    } finally {
      this.path.pop();
    }
  }

  /** Exports `module` at the current path with its registered exporter. */
  exportModule(module: Module, input: OnnxValue): OnnxValue {
    const exporter = onnxExporterFor(module);
    if (!exporter) {
      throw new NerveError(
        'exportOnnx',
        'a module with an ONNX exporter (built-in, or added with registerOnnxExporter)',
        `'${this.currentPath || '(the model)'}', a ${module.constructor.name}`,
      );
    }
    return exporter(module, input, this);
  }

  /** An error naming the module being exported. */
  refuse(module: Module, why: string): NerveError {
    return NerveError.raw(
      'exportOnnx',
      `'${this.currentPath || '(the model)'}' (${module.constructor.name}) cannot be exported: ${why}`,
    );
  }
}
