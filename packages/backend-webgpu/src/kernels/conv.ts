/**
 * conv2d and its two gradients (NCHW) as implicit GEMMs: the
 * tiled GEMM of matmul-gemm.ts with loaders that compute im2col / col2im
 * addresses on the fly, so no column matrix is ever written.
 *
 *   forward:  y[n]  = W[O, CKK] · col(x[n])[CKK, OHW]          (batch = N)
 *   input:    dx[n] = Wᵀ[C, O·KK] · dyExpanded[n][O·KK, HW]     (batch = N)
 *   filter:   dW    = dy[O, N·OHW] · col(x)ᵀ[N·OHW, CKK]        (batch = 1)
 *
 * The input gradient gathers, for each input pixel, the outputs whose window
 * covers it (col2im as a gather, one sum per pixel, deterministic): entry
 * (o, kh, kw) of pixel (ih, iw) is dy[o, oh, ow] when ih + padH − kh·dilH is a
 * non-negative multiple of strideH below OH·strideH (same for w), else 0.
 * The filter gradient folds the batch into K, so one GEMM (split over K when
 * its output is small) sums over images and positions.
 *
 * Grouped convolutions (groups > 1, bottom of the file) are the same GEMMs
 * with one batch entry per (image, group), or per group for the filter
 * gradient: one dispatch whatever the group count. A depthwise layer gives
 * GEMMs with M = channel multiplier (often 1), so most of each tile's rows
 * idle; a direct depthwise shader would do better (not written yet).
 */
import { type Conv2dParams, isPointwiseConv } from '@nerve/core/backend';
import type { GpuContext, GpuData } from '../context.js';
import { type GemmField, gemm } from './matmul-gemm.js';

/** Multiply-adds from which a convolution gets a pipeline of its own with its geometry baked in. */
const BAKE_MACS = 1 << 26;

const GEOMETRY_NAMES = /\b(inC|inH|inW|outC|outH|outW|kH|kW|sH|sW|pH|pW|dH|dW|grp|cG|oG)\b/g;

/**
 * The loaders name the geometry by bare identifiers (inC, kH, …). A large
 * convolution bakes them in as WGSL constants (one pipeline per geometry, and
 * a network has few), which turns the index arithmetic's divisions into
 * multiplications; a small one reads them from uniforms, so every small
 * geometry shares one pipeline (shader compilation would cost more than the
 * work, notably on software adapters).
 */
function geometry(p: Conv2dParams, macs: number, pw: boolean, wgsl: string, grouped = false) {
  const u: [string, number][] = [
    ['inC', p.inChannels],
    ['inH', p.inHeight],
    ['inW', p.inWidth],
    ['outC', p.outChannels],
    ['outH', p.outHeight],
    ['outW', p.outWidth],
    ['kH', p.kernelHeight],
    ['kW', p.kernelWidth],
    ['sH', p.strideH],
    ['sW', p.strideW],
    ['dH', p.dilationH],
    ['dW', p.dilationW],
  ];
  const groups = p.groups ?? 1;
  // Grouped kernels also name the group count and the channels per group.
  if (grouped) {
    u.push(['grp', groups], ['cG', p.inChannels / groups], ['oG', p.outChannels / groups]);
  }
  if (macs >= BAKE_MACS) {
    const consts = [
      ...u.map(([name, v]) => `const ${name} = ${v}u;`),
      `const pH = ${p.padH}i;`,
      `const pW = ${p.padW}i;`,
    ].join('\n');
    return {
      key: `${pw}.${[...u.map(([, v]) => v), p.padH, p.padW].join(',')}`,
      wgsl: () => `${consts}\n${wgsl}`,
      fields: [] as GemmField[],
    };
  }
  const fields: GemmField[] = [
    ...u.map(([name, v]) => [name, 'u32', v] as const),
    ['pH', 'i32', p.padH],
    ['pW', 'i32', p.padW],
  ];
  return { key: `${pw}.uniform`, wgsl: () => wgsl.replace(GEOMETRY_NAMES, 'P.$1'), fields };
}

/**
 * WGSL: `im2col(n, row, col)` = x[n] at kernel row `row` = (c, kh, kw) and
 * output position `col` = (oh, ow), 0 in the padding.
 */
const IM2COL = `fn im2col(n: u32, row: u32, col: u32) -> f32 {
  let kk = kH * kW;
  let ci = row / kk;
  let kh = (row % kk) / kW;
  let kw = row % kW;
  let ih = i32((col / outW) * sH + kh * dH) - pH;
  let iw = i32((col % outW) * sW + kw * dW) - pW;
  if (ih < 0 || iw < 0 || ih >= i32(inH) || iw >= i32(inW)) { return 0.0; }
  return X[((n * inC + ci) * inH + u32(ih)) * inW + u32(iw)];
}
`;

const POINTWISE = `fn im2col(n: u32, row: u32, col: u32) -> f32 {
  return X[(n * inC + row) * inH * inW + col];
}
`;

function macs(p: Conv2dParams): number {
  return (
    (p.batch *
      p.outChannels *
      p.outHeight *
      p.outWidth *
      p.inChannels *
      p.kernelHeight *
      p.kernelWidth) /
    (p.groups ?? 1)
  );
}

/** x [N,C,H,W], w [O,C,KH,KW] → y [N,O,OH,OW]. */
export function conv2d(ctx: GpuContext, x: GpuData, w: GpuData, p: Conv2dParams): GpuData {
  const pw = isPointwiseConv(p);
  const g = geometry(
    p,
    macs(p),
    pw,
    `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
${pw ? POINTWISE : IM2COL}
fn loadA(b: u32, r: u32, k: u32) -> f32 { return Wt[r * inC * kH * kW + k]; }
fn loadB(b: u32, k: u32, c: u32) -> f32 { return im2col(b, k, c); }
`,
  );
  return gemm(ctx, {
    key: `conv2d.${g.key}`,
    inputs: [x, w],
    wgsl: g.wgsl,
    fields: g.fields,
    aRowFastest: false,
    bColFastest: true,
    batch: p.batch,
    m: p.outChannels,
    n: p.outHeight * p.outWidth,
    k: p.inChannels * p.kernelHeight * p.kernelWidth,
  });
}

/** dy [N,O,OH,OW], w [O,C,KH,KW] → dx [N,C,H,W]. */
export function conv2dBackwardInput(
  ctx: GpuContext,
  dy: GpuData,
  w: GpuData,
  p: Conv2dParams,
): GpuData {
  const pw = isPointwiseConv(p);
  const loadB = pw
    ? 'return DY[(b * outC + k) * outH * outW + c];'
    : `let kk = kH * kW;
  let o = k / kk;
  let kh = (k % kk) / kW;
  let kw = k % kW;
  let th = i32(c / inW) + pH - i32(kh * dH);
  let tw = i32(c % inW) + pW - i32(kw * dW);
  if (th < 0 || tw < 0) { return 0.0; }
  let uh = u32(th);
  let uw = u32(tw);
  if (uh % sH != 0u || uw % sW != 0u) { return 0.0; }
  let oh = uh / sH;
  let ow = uw / sW;
  if (oh >= outH || ow >= outW) { return 0.0; }
  return DY[((b * outC + o) * outH + oh) * outW + ow];`;
  const g = geometry(
    p,
    macs(p),
    pw,
    `@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
fn loadA(b: u32, r: u32, k: u32) -> f32 {
  let kk = kH * kW;
  return Wt[((k / kk) * inC + r) * kk + k % kk];
}
fn loadB(b: u32, k: u32, c: u32) -> f32 {
  ${loadB}
}
`,
  );
  return gemm(ctx, {
    key: `conv2dBackwardInput.${g.key}`,
    inputs: [dy, w],
    wgsl: g.wgsl,
    fields: g.fields,
    aRowFastest: false,
    bColFastest: true,
    batch: p.batch,
    m: p.inChannels,
    n: p.inHeight * p.inWidth,
    k: p.outChannels * p.kernelHeight * p.kernelWidth,
  });
}

/** x [N,C,H,W], dy [N,O,OH,OW] → dw [O,C,KH,KW]. */
export function conv2dBackwardFilter(
  ctx: GpuContext,
  x: GpuData,
  dy: GpuData,
  p: Conv2dParams,
): GpuData {
  const pw = isPointwiseConv(p);
  const g = geometry(
    p,
    macs(p),
    pw,
    `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> DY: array<f32>;
${pw ? POINTWISE : IM2COL}
fn loadA(b: u32, r: u32, k: u32) -> f32 {
  let ohw = outH * outW;
  return DY[((k / ohw) * outC + r) * ohw + k % ohw];
}
fn loadB(b: u32, k: u32, c: u32) -> f32 {
  let ohw = outH * outW;
  return im2col(k / ohw, c, k % ohw);
}
`,
  );
  return gemm(ctx, {
    key: `conv2dBackwardFilter.${g.key}`,
    inputs: [x, dy],
    wgsl: g.wgsl,
    fields: g.fields,
    aRowFastest: false,
    bColFastest: false,
    batch: 1,
    m: p.outChannels,
    n: p.inChannels * p.kernelHeight * p.kernelWidth,
    k: p.batch * p.outHeight * p.outWidth,
  });
}

// ---- grouped convolutions (p.groups > 1) -------------------------------------
//
// Group g maps input channels [g·cG, (g+1)·cG) to output channels
// [g·oG, (g+1)·oG). The forward and input-gradient GEMMs run one batch entry
// per (image, group), b = n·grp + g, whose [oG, ·] or [cG, ·] output blocks
// lie in place in [N, O, ·] and [N, C, ·]; the filter gradient runs one per
// group, b = g, and its [oG, cG·kH·kW] blocks make up dw [O, cG, kH, kW].

/** WGSL: im2col of the group whose first input channel is c0 (cG channels). */
const IM2COL_GROUPED = `fn im2col(n: u32, c0: u32, row: u32, col: u32) -> f32 {
  let kk = kH * kW;
  let ci = c0 + row / kk;
  let kh = (row % kk) / kW;
  let kw = row % kW;
  let ih = i32((col / outW) * sH + kh * dH) - pH;
  let iw = i32((col % outW) * sW + kw * dW) - pW;
  if (ih < 0 || iw < 0 || ih >= i32(inH) || iw >= i32(inW)) { return 0.0; }
  return X[((n * inC + ci) * inH + u32(ih)) * inW + u32(iw)];
}
`;

const POINTWISE_GROUPED = `fn im2col(n: u32, c0: u32, row: u32, col: u32) -> f32 {
  return X[(n * inC + c0 + row) * inH * inW + col];
}
`;

/** x [N,C,H,W], w [O,C/groups,KH,KW] → y [N,O,OH,OW]. */
export function groupedConv2d(ctx: GpuContext, x: GpuData, w: GpuData, p: Conv2dParams): GpuData {
  const pw = isPointwiseConv(p);
  const groups = p.groups ?? 1;
  const g = geometry(
    p,
    macs(p),
    pw,
    `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
${pw ? POINTWISE_GROUPED : IM2COL_GROUPED}
fn loadA(b: u32, r: u32, k: u32) -> f32 { return Wt[((b % grp) * oG + r) * cG * kH * kW + k]; }
fn loadB(b: u32, k: u32, c: u32) -> f32 { return im2col(b / grp, (b % grp) * cG, k, c); }
`,
    true,
  );
  return gemm(ctx, {
    key: `groupedConv2d.${g.key}`,
    inputs: [x, w],
    wgsl: g.wgsl,
    fields: g.fields,
    aRowFastest: false,
    bColFastest: true,
    batch: p.batch * groups,
    m: p.outChannels / groups,
    n: p.outHeight * p.outWidth,
    k: (p.inChannels / groups) * p.kernelHeight * p.kernelWidth,
  });
}

/** dy [N,O,OH,OW], w [O,C/groups,KH,KW] → dx [N,C,H,W]. */
export function groupedConv2dBackwardInput(
  ctx: GpuContext,
  dy: GpuData,
  w: GpuData,
  p: Conv2dParams,
): GpuData {
  const pw = isPointwiseConv(p);
  const groups = p.groups ?? 1;
  const loadB = pw
    ? 'return DY[((b / grp) * outC + (b % grp) * oG + k) * outH * outW + c];'
    : `let kk = kH * kW;
  let o = (b % grp) * oG + k / kk;
  let kh = (k % kk) / kW;
  let kw = k % kW;
  let th = i32(c / inW) + pH - i32(kh * dH);
  let tw = i32(c % inW) + pW - i32(kw * dW);
  if (th < 0 || tw < 0) { return 0.0; }
  let uh = u32(th);
  let uw = u32(tw);
  if (uh % sH != 0u || uw % sW != 0u) { return 0.0; }
  let oh = uh / sH;
  let ow = uw / sW;
  if (oh >= outH || ow >= outW) { return 0.0; }
  return DY[(((b / grp) * outC + o) * outH + oh) * outW + ow];`;
  const g = geometry(
    p,
    macs(p),
    pw,
    `@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
fn loadA(b: u32, r: u32, k: u32) -> f32 {
  let kk = kH * kW;
  return Wt[(((b % grp) * oG + k / kk) * cG + r) * kk + k % kk];
}
fn loadB(b: u32, k: u32, c: u32) -> f32 {
  ${loadB}
}
`,
    true,
  );
  return gemm(ctx, {
    key: `groupedConv2dBackwardInput.${g.key}`,
    inputs: [dy, w],
    wgsl: g.wgsl,
    fields: g.fields,
    aRowFastest: false,
    bColFastest: true,
    batch: p.batch * groups,
    m: p.inChannels / groups,
    n: p.inHeight * p.inWidth,
    k: (p.outChannels / groups) * p.kernelHeight * p.kernelWidth,
  });
}

/** x [N,C,H,W], dy [N,O,OH,OW] → dw [O,C/groups,KH,KW]. */
export function groupedConv2dBackwardFilter(
  ctx: GpuContext,
  x: GpuData,
  dy: GpuData,
  p: Conv2dParams,
): GpuData {
  const pw = isPointwiseConv(p);
  const groups = p.groups ?? 1;
  const g = geometry(
    p,
    macs(p),
    pw,
    `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> DY: array<f32>;
${pw ? POINTWISE_GROUPED : IM2COL_GROUPED}
fn loadA(b: u32, r: u32, k: u32) -> f32 {
  let ohw = outH * outW;
  return DY[((k / ohw) * outC + b * oG + r) * ohw + k % ohw];
}
fn loadB(b: u32, k: u32, c: u32) -> f32 {
  let ohw = outH * outW;
  return im2col(k / ohw, b * cG, c, k % ohw);
}
`,
    true,
  );
  return gemm(ctx, {
    key: `groupedConv2dBackwardFilter.${g.key}`,
    inputs: [x, dy],
    wgsl: g.wgsl,
    fields: g.fields,
    aRowFastest: false,
    bColFastest: false,
    batch: groups,
    m: p.outChannels / groups,
    n: (p.inChannels / groups) * p.kernelHeight * p.kernelWidth,
    k: p.batch * p.outHeight * p.outWidth,
  });
}
