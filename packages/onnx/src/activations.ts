/**
 * Exporters of every activation module of @nerve/layers (activationModule's
 * names, ReLU6 and PReLU included). GELU is built from Erf below opset 20,
 * where ONNX has no Gelu.
 */
import {
  ELU,
  GELU,
  Identity,
  LeakyReLU,
  PReLU,
  ReLU,
  ReLU6,
  SELU,
  SiLU,
  Sigmoid,
  Softplus,
  Tanh,
} from '@nerve/layers';
import { type OnnxExportContext, type OnnxValue, defineExporter } from './context.js';

defineExporter(Identity, (_m, x) => x);

/** The ops that map one to one, with their attributes. */
const SIMPLE: [new () => never, string][] = [
  [ReLU as never, 'Relu'],
  [Sigmoid as never, 'Sigmoid'],
  [Tanh as never, 'Tanh'],
];
for (const [cls, op] of SIMPLE) defineExporter(cls, (_m, x, ctx) => ctx.op(op, [x.name], x.shape));

// ONNX's Selu defaults are the self-normalizing constants nerve uses (Klambauer et al. 2017).
defineExporter(SELU, (_m, x, ctx) => ctx.op('Selu', [x.name], x.shape));

defineExporter(LeakyReLU, (m, x, ctx) =>
  ctx.op('LeakyRelu', [x.name], x.shape, { alpha: m.negativeSlope }),
);

defineExporter(ELU, (m, x, ctx) => ctx.op('Elu', [x.name], x.shape, { alpha: m.alpha }));

// Clip takes its bounds as inputs since opset 11.
defineExporter(ReLU6, (_m, x, ctx) =>
  ctx.op('Clip', [x.name, ctx.constant([0], [], 'min'), ctx.constant([6], [], 'max')], x.shape),
);

defineExporter(SiLU, (_m, x, ctx) => {
  const s = ctx.op('Sigmoid', [x.name], x.shape);
  return ctx.op('Mul', [x.name, s.name], x.shape);
});

// log(1 + e^(βx)) / β. nerve is linear where βx > 20, where the two differ by log(1 + e^−20) ≈ 2e−9.
defineExporter(Softplus, (m, x, ctx) => {
  if (m.beta === 1) return ctx.op('Softplus', [x.name], x.shape);
  const beta = ctx.constant([m.beta], [], 'beta');
  const scaled = ctx.op('Mul', [x.name, beta], x.shape);
  const sp = ctx.op('Softplus', [scaled.name], x.shape);
  return ctx.op('Div', [sp.name, beta], x.shape);
});

defineExporter(GELU, (m, x, ctx) =>
  m.approximate === 'tanh' ? geluTanh(x, ctx) : geluErf(x, ctx),
);

/** x·Φ(x) = ½x(1 + erf(x/√2)) (Hendrycks & Gimpel 2016); ONNX's Gelu from opset 20. */
function geluErf(x: OnnxValue, ctx: OnnxExportContext): OnnxValue {
  if (ctx.opset >= 20) return ctx.op('Gelu', [x.name], x.shape);
  const s = x.shape;
  const scaled = ctx.op('Div', [x.name, ctx.constant([Math.SQRT2], [], 'sqrt2')], s);
  const erf = ctx.op('Erf', [scaled.name], s);
  const onePlus = ctx.op('Add', [erf.name, ctx.constant([1], [], 'one')], s);
  const half = ctx.op('Mul', [x.name, ctx.constant([0.5], [], 'half')], s);
  return ctx.op('Mul', [half.name, onePlus.name], s);
}

/** ½x(1 + tanh(√(2/π)(x + 0.044715x³))), as nerve's GELU('tanh') computes it. */
function geluTanh(x: OnnxValue, ctx: OnnxExportContext): OnnxValue {
  const s = x.shape;
  const c = (v: number, hint: string) => ctx.constant([v], [], hint);
  const cube = ctx.op('Pow', [x.name, c(3, 'three')], s);
  const inner = ctx.op('Add', [x.name, ctx.op('Mul', [cube.name, c(0.044715, 'k')], s).name], s);
  const scaled = ctx.op('Mul', [inner.name, c(Math.sqrt(2 / Math.PI), 'sqrt_2_over_pi')], s);
  const t = ctx.op('Tanh', [scaled.name], s);
  const onePlus = ctx.op('Add', [t.name, c(1, 'one')], s);
  const half = ctx.op('Mul', [x.name, c(0.5, 'half')], s);
  return ctx.op('Mul', [half.name, onePlus.name], s);
}

// One slope, or one per channel (dimension 1; dimension 0 of a vector) broadcast over the rest.
defineExporter(PReLU, (m, x, ctx) => {
  const n = m.numSlopes;
  const ch = x.shape.length >= 2 ? 1 : 0;
  const dims = n > 1 ? [n, ...x.shape.slice(ch + 1).map(() => 1)] : [1];
  return ctx.op('PRelu', [x.name, ctx.weight(m.weight, 'slope', dims)], x.shape);
});
