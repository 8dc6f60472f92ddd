/**
 * Exporters of @nerve/layers' containers, dense, convolution, pooling and
 * reshaping layers, in evaluation mode.
 */
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  Conv2d,
  Dropout,
  Flatten,
  GlobalAvgPool2d,
  Linear,
  MaxPool2d,
  Maxout,
  Sequential,
} from '@nerve/layers';
import { type OnnxExportContext, type OnnxValue, defineExporter } from './context.js';

/** Output length of a window sliding over `n` (PyTorch's formula, floor mode). */
function windows(
  n: number,
  k: number,
  stride: number,
  padBefore: number,
  padAfter: number,
  dilation = 1,
) {
  return Math.floor((n + padBefore + padAfter - dilation * (k - 1) - 1) / stride) + 1;
}

function requireRank(ctx: OnnxExportContext, m: object, x: OnnxValue, rank: number): void {
  if (x.shape.length !== rank) {
    throw ctx.refuse(m as never, `expected a rank-${rank} input, received [${x.shape.join(',')}]`);
  }
}

defineExporter(Sequential, (m, x, ctx) => {
  let y = x;
  for (const [name, child] of m.namedChildren()) y = ctx.module(child, name, y);
  return y;
});

// Dropout is the identity in evaluation mode: no node at all.
defineExporter(Dropout, (_m, x) => x);

/** y = x Wᵀ + b: Gemm (transB) on [N, in]; MatMul with Wᵀ, then Add, on other ranks. */
export function exportLinear(m: Linear, x: OnnxValue, ctx: OnnxExportContext): OnnxValue {
  const shape = [...x.shape.slice(0, -1), m.outFeatures];
  if (x.shape.length === 2) {
    const inputs = [x.name, ctx.weight(m.weight, 'weight')];
    if (m.bias) inputs.push(ctx.weight(m.bias, 'bias'));
    return ctx.op('Gemm', inputs, shape, { transB: 1 });
  }
  const w = ctx.weight(m.weight, 'weight');
  const wt = ctx.op('Transpose', [w], [m.inFeatures, m.outFeatures], { perm: [1, 0] });
  const y = ctx.op('MatMul', [x.name, wt.name], shape);
  return m.bias ? ctx.op('Add', [y.name, ctx.weight(m.bias, 'bias')], shape) : y;
}
defineExporter(Linear, exportLinear);

defineExporter(Conv2d, (m, x, ctx) => {
  requireRank(ctx, m, x, 4);
  const [top, bottom, left, right] = m.padding;
  const [kh, kw] = m.kernelSize;
  const [n, , h, w] = x.shape;
  const shape = [
    n,
    m.outChannels,
    windows(h, kh, m.stride[0], top, bottom, m.dilation[0]),
    windows(w, kw, m.stride[1], left, right, m.dilation[1]),
  ];
  const inputs = [x.name, ctx.weight(m.weight, 'weight')];
  if (m.bias) inputs.push(ctx.weight(m.bias, 'bias'));
  return ctx.op('Conv', inputs, shape, {
    kernel_shape: [kh, kw],
    strides: [...m.stride],
    // ONNX orders pads as [x1_begin, x2_begin, x1_end, x2_end].
    pads: [top, left, bottom, right],
    dilations: [...m.dilation],
    group: m.groups,
  });
});

defineExporter(MaxPool2d, (m, x, ctx) => {
  requireRank(ctx, m, x, 4);
  const [kh, kw] = m.kernelSize;
  const [ph, pw] = m.padding;
  const [n, c, h, w] = x.shape;
  const shape = [
    n,
    c,
    windows(h, kh, m.stride[0], ph, ph, m.dilation[0]),
    windows(w, kw, m.stride[1], pw, pw, m.dilation[1]),
  ];
  // ONNX's MaxPool ignores padded cells, as nerve's −∞ padding does.
  return ctx.op('MaxPool', [x.name], shape, {
    kernel_shape: [kh, kw],
    strides: [...m.stride],
    pads: [ph, pw, ph, pw],
    dilations: [...m.dilation],
    ceil_mode: 0,
  });
});

defineExporter(AvgPool2d, (m, x, ctx) => {
  requireRank(ctx, m, x, 4);
  const [kh, kw] = m.kernelSize;
  const [ph, pw] = m.padding;
  const [n, c, h, w] = x.shape;
  const shape = [n, c, windows(h, kh, m.stride[0], ph, ph), windows(w, kw, m.stride[1], pw, pw)];
  // nerve counts padded zeros in the divisor (PyTorch's count_include_pad = True).
  return ctx.op('AveragePool', [x.name], shape, {
    kernel_shape: [kh, kw],
    strides: [...m.stride],
    pads: [ph, pw, ph, pw],
    count_include_pad: 1,
    ceil_mode: 0,
  });
});

defineExporter(GlobalAvgPool2d, (m, x, ctx) => {
  requireRank(ctx, m, x, 4);
  const [n, c] = x.shape;
  const pooled = ctx.op('GlobalAveragePool', [x.name], [n, c, 1, 1]);
  return ctx.op('Flatten', [pooled.name], [n, c], { axis: 1 });
});

defineExporter(AdaptiveAvgPool2d, (m, x, ctx) => {
  requireRank(ctx, m, x, 4);
  const [oh, ow] = m.outputSize;
  const [n, c, h, w] = x.shape;
  if (oh === 1 && ow === 1) return ctx.op('GlobalAveragePool', [x.name], [n, c, 1, 1]);
  if (h % oh !== 0 || w % ow !== 0) {
    // Unequal, overlapping bins have no single ONNX pooling op.
    throw ctx.refuse(
      m,
      `output ${oh}×${ow} does not divide the input's ${h}×${w} (only equal bins export, as AveragePool)`,
    );
  }
  const kernel = [h / oh, w / ow];
  return ctx.op('AveragePool', [x.name], [n, c, oh, ow], {
    kernel_shape: kernel,
    strides: kernel,
  });
});

defineExporter(Flatten, (m, x, ctx) => {
  const rank = x.shape.length;
  const start = m.startDim < 0 ? m.startDim + rank : m.startDim;
  const end = m.endDim < 0 ? m.endDim + rank : m.endDim;
  if (start < 0 || end >= rank || start > end) {
    throw ctx.refuse(m, `dimensions ${m.startDim}..${m.endDim} of a rank-${rank} input`);
  }
  const merged = x.shape.slice(start, end + 1).reduce((a, b) => a * b, 1);
  const shape = [...x.shape.slice(0, start), merged, ...x.shape.slice(end + 1)];
  if (start === end) return x;
  // The batch dimension (0) may vary at run time: 0 copies it, −1 infers a merge that holds it.
  const target = shape.map((d, i) => (i === 0 ? (start === 0 ? -1 : 0) : d));
  return ctx.reshape(x, target, shape);
});

defineExporter(Maxout, (m, x, ctx) => {
  const z = ctx.module(m.linear, 'linear', x);
  const lead = z.shape.slice(0, -1);
  const pieces = [...lead, m.outFeatures, m.pieces];
  const target = pieces.map((d, i) => (i === 0 ? 0 : d));
  const grouped = ctx.reshape(z, target, pieces);
  return ctx.reduce('ReduceMax', grouped, [-1], false);
});
