/**
 * `exportOnnx(model, { inputShape })`: a nerve model as an ONNX ModelProto
 * for inference (evaluation mode: dropout off, BatchNorm with its running
 * statistics), returned as bytes to write to an `.onnx` file.
 *
 * Opset 17 by default: the last opset whose ReduceMax/ReduceMean take their
 * axes as an attribute, the first with LayerNormalization, and one every
 * current runtime runs (onnxruntime ≥ 1.13, TensorRT 8.6, OpenVINO, ONNX.js
 * successors). 13 to 20 can be asked for; Gelu is a single op from 20 on and
 * built from Erf below it.
 */
import { NerveError, type Tensor, noGrad, tidy, zeros, describeValue } from '@nerve/core';
import type { Module } from '@nerve/layers';
import { OnnxExportContext, type OnnxExporter, type OnnxValue, defineExporter } from './context.js';
import { encodeModel } from './onnx-proto.js';
import './layers.js';
import './activations.js';
import './norm.js';
import './models.js';

/** The opsets exportOnnx writes. */
export const ONNX_OPSETS = {
  /** The oldest: Clip's bounds are inputs (11), Split and Squeeze settled (13). */
  min: 13,
  /** The newest: Gelu is one op (20). */
  max: 20,
  /** The default (see the module comment). */
  default: 17,
} as const;

/** Input standardization folded into the graph: (x − mean) / scale, broadcast over each example. */
export interface OnnxStandardize {
  /** Per feature (one per value of an example) or per channel (one per entry of dimension 1). */
  mean: ArrayLike<number>;
  /** The divisors, as many as `mean`. */
  scale: ArrayLike<number>;
}

/** Options of `exportOnnx`. */
export interface ExportOnnxOptions {
  /** The input's shape, batch first (e.g. [1, 3, 224, 224]); the batch size is dynamic unless `dynamicBatch` is false. */
  inputShape: readonly number[];
  /** Operator set of the default domain, 13–20 (default 17). */
  opset?: number;
  /** Name of the graph's input (default 'input'). */
  inputName?: string;
  /** Name of the graph's output (default 'output'). */
  outputName?: string;
  /** Leave the batch dimension symbolic ('batch') so any batch size runs (default true). */
  dynamicBatch?: boolean;
  /** Standardization applied to the input first, folded into the graph as Sub and Div. */
  standardize?: OnnxStandardize;
  /**
   * The inverse standardization applied to the output last, y · scale + mean,
   * folded into the graph as Mul and Add: a regression model trained on
   * standardized targets then outputs values in the targets' units. One
   * mean and scale per output (the last dimension), or one for all.
   */
  destandardize?: OnnxStandardize;
  /** Key/value strings stored in the model's metadata_props. */
  metadata?: Readonly<Record<string, string>>;
}

const OP = 'exportOnnx';

/** The IR version that goes with an opset (ONNX's release table: 1.8 → 7, 1.10 → 8, 1.14 → 9). */
function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  return opset <= 18 ? 8 : 9;
}

/**
 * Registers how modules of exactly `cls` are exported, for composite modules
 * of your own (a residual block: export the children with `ctx.module`, then
 * `ctx.op('Add', …)`). A subclass needs its own exporter (its forward may
 * differ); registering again replaces the earlier one.
 */
export function registerOnnxExporter<M extends Module>(
  cls: abstract new (...args: any[]) => M,
  exporter: OnnxExporter<M>,
): void {
  defineExporter(cls, exporter);
}

function checkOptions(model: Module, opts: ExportOnnxOptions): void {
  if (typeof model?.stateDict !== 'function')
    throw new NerveError(OP, 'a Module', describeValue(model));
  const shape = opts?.inputShape;
  if (
    !Array.isArray(shape) ||
    shape.length === 0 ||
    !shape.every((d) => Number.isInteger(d) && d > 0)
  ) {
    throw new NerveError(OP, 'inputShape as positive integers, batch first', describeValue(shape));
  }
  const opset = opts.opset ?? ONNX_OPSETS.default;
  if (!Number.isInteger(opset) || opset < ONNX_OPSETS.min || opset > ONNX_OPSETS.max) {
    throw new NerveError(
      OP,
      `opset an integer in [${ONNX_OPSETS.min}, ${ONNX_OPSETS.max}]`,
      String(opts.opset),
    );
  }
  for (const k of ['inputName', 'outputName'] as const) {
    const v = opts[k];
    if (v !== undefined && (typeof v !== 'string' || v === '')) {
      throw new NerveError(OP, `${k} a non-empty string`, describeValue(v));
    }
  }
  if ((opts.inputName ?? 'input') === (opts.outputName ?? 'output')) {
    throw new NerveError(OP, 'inputName and outputName to differ', JSON.stringify(opts.inputName));
  }
}

/** Every float32 parameter and buffer's values, read once (on any backend). */
async function readWeights(model: Module): Promise<Map<Tensor, Float32Array>> {
  const out = new Map<Tensor, Float32Array>();
  for (const t of [...model.parameters(), ...model.buffers()]) {
    if (t.dtype !== 'float32') continue;
    out.set(t, Float32Array.from((await t.data()) as Float32Array));
  }
  return out;
}

/** The shape nerve's own forward pass gives in evaluation mode, modes restored after. */
function nerveOutputShape(model: Module, inputShape: readonly number[]): number[] {
  const modes = model.modules().map((m) => [m, m.training] as const);
  try {
    model.eval();
    return tidy(() => noGrad(() => [...model.call(zeros(inputShape)).shape]));
  } finally {
    for (const [m, training] of modes) m.training = training;
  }
}

/** The standardization's broadcast shape for one example: per feature or per channel. */
function standardizeDims(example: readonly number[], s: OnnxStandardize): number[] {
  const n = s?.mean?.length;
  if (!Number.isInteger(n) || s.scale?.length !== n) {
    throw new NerveError(OP, 'standardize { mean, scale } of equal lengths', describeValue(s));
  }
  const size = example.reduce((a, b) => a * b, 1);
  if (n === size) return [...example];
  if (example.length >= 2 && n === example[0]) return [n, ...example.slice(1).map(() => 1)];
  throw new NerveError(
    OP,
    `standardize with ${size} values (per feature) or ${example[0]} (per channel) for examples of shape [${example.join(',')}]`,
    `${n} values`,
  );
}

/** The output de-standardization's broadcast shape: one value per output, or one for all. */
function destandardizeDims(output: readonly number[], s: OnnxStandardize): number[] {
  const n = s?.mean?.length;
  const outputs = output[output.length - 1];
  const finite = (v: ArrayLike<number>) => Array.from(v).every(Number.isFinite);
  if (!Number.isInteger(n) || s.scale?.length !== n || !finite(s.mean) || !finite(s.scale)) {
    throw new NerveError(
      OP,
      'destandardize { mean, scale } of equal lengths, finite numbers',
      describeValue(s),
    );
  }
  if (n === outputs || n === 1) return [n];
  throw new NerveError(
    OP,
    `destandardize with 1 value or ${outputs} (one per output)`,
    `${n} values`,
  );
}

/**
 * The ONNX model of `model` in evaluation mode, as the bytes of an `.onnx`
 * file. Every module must have an exporter (built in for @nerve/layers and
 * @nerve/norm, or registered with `registerOnnxExporter`); an unsupported
 * one is a NerveError naming its path and class. The graph's output shape is
 * checked against nerve's own forward pass on zeros of `inputShape`.
 */
export async function exportOnnx(model: Module, opts: ExportOnnxOptions): Promise<Uint8Array> {
  checkOptions(model, opts);
  const opset = opts.opset ?? ONNX_OPSETS.default;
  const inputName = opts.inputName ?? 'input';
  const outputName = opts.outputName ?? 'output';
  const inputShape = [...opts.inputShape];
  const expected = nerveOutputShape(model, inputShape);
  const ctx = new OnnxExportContext(opset, await readWeights(model));
  ctx.uniqueName(inputName);
  ctx.uniqueName(outputName);
  let x: OnnxValue = { name: inputName, shape: inputShape };
  if (opts.standardize) {
    const dims = standardizeDims(inputShape.slice(1), opts.standardize);
    const mean = ctx.constant(Float32Array.from(opts.standardize.mean), dims, 'input_mean');
    const scale = ctx.constant(Float32Array.from(opts.standardize.scale), dims, 'input_scale');
    x = ctx.op('Div', [ctx.op('Sub', [x.name, mean], inputShape).name, scale], inputShape);
  }
  const y = ctx.exportModule(model, x);
  if (y.shape.join() !== expected.join()) {
    throw NerveError.raw(
      OP,
      `the graph's output shape [${y.shape.join(',')}] differs from nerve's [${expected.join(',')}] (an exporter's shape rule is wrong)`,
    );
  }
  let out = y;
  if (opts.destandardize) {
    const dims = destandardizeDims(y.shape, opts.destandardize);
    const scale = ctx.constant(Float32Array.from(opts.destandardize.scale), dims, 'output_scale');
    const mean = ctx.constant(Float32Array.from(opts.destandardize.mean), dims, 'output_mean');
    out = ctx.op('Add', [ctx.op('Mul', [y.name, scale], y.shape).name, mean], y.shape);
  }
  nameOutput(ctx, out.name, outputName);
  const dynamic = opts.dynamicBatch ?? true;
  const dims = (s: readonly number[]) => s.map((d, i) => (i === 0 && dynamic ? 'batch' : d));
  return encodeModel({
    irVersion: irVersionFor(opset),
    opset,
    producerName: 'nerve',
    producerVersion: '0.0.0',
    ...(opts.metadata ? { metadata: opts.metadata } : {}),
    graphName: model.constructor.name,
    nodes: ctx.nodes,
    initializers: ctx.initializers,
    inputs: [{ name: inputName, shape: dims(inputShape) }],
    outputs: [{ name: outputName, shape: dims(out.shape) }],
  });
}

/**
 * Gives the final value the output's name: renames the node that makes it
 * when nothing else reads it, else (the input itself, or a value read
 * elsewhere) adds an Identity.
 */
function nameOutput(ctx: OnnxExportContext, value: string, outputName: string): void {
  const at = ctx.nodes.findIndex((n) => n.outputs.includes(value));
  const readElsewhere = ctx.nodes.some((n) => n.inputs.includes(value));
  if (at >= 0 && !readElsewhere) {
    const producer = ctx.nodes[at];
    const outputs = producer.outputs.map((o) => (o === value ? outputName : o));
    ctx.nodes[at] = { ...producer, outputs };
    return;
  }
  ctx.nodes.push({
    opType: 'Identity',
    name: ctx.uniqueName('Identity'),
    inputs: [value],
    outputs: [outputName],
    attributes: {},
  });
}
