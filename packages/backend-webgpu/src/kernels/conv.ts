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
 * Grouped convolutions (groups > 1) are the same GEMMs, built by the same code
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
 * output position `col` = (oh, ow), 0 in the padding. The grouped form,
 * `im2col(n, c0, row, col)`, reads the group whose first input channel is c0.
 */
function im2col(pw: boolean, grouped: boolean): string {
  const c0 = grouped ? 'c0 + ' : '';
  const head = `fn im2col(n: u32, ${grouped ? 'c0: u32, ' : ''}row: u32, col: u32) -> f32 {`;
  if (pw) {
    return `${head}
  return X[(n * inC + ${c0}row) * inH * inW + col];
}
`;
  }
  return `${head}
  let kk = kH * kW;
  let ci = ${c0}row / kk;
  let kh = (row % kk) / kW;
  let kw = row % kW;
  let ih = i32((col / outW) * sH + kh * dH) - pH;
  let iw = i32((col % outW) * sW + kw * dW) - pW;
  if (ih < 0 || iw < 0 || ih >= i32(inH) || iw >= i32(inW)) { return 0.0; }
  return X[((n * inC + ci) * inH + u32(ih)) * inW + u32(iw)];
}
`;
}

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

// ---- the kernels, plain and grouped (p.groups > 1) ---------------------------
//
// Each kernel below serves both forms: `grouped` switches the few WGSL
// addresses that differ. Group g maps input channels [g·cG, (g+1)·cG) to
// output channels [g·oG, (g+1)·oG). The forward and input-gradient GEMMs run
// one batch entry per (image, group), b = n·grp + g, whose [oG, ·] or [cG, ·]
// output blocks lie in place in [N, O, ·] and [N, C, ·]; the filter gradient
// runs one per group, b = g, and its [oG, cG·kH·kW] blocks make up
// dw [O, cG, kH, kW].

function forward(
  ctx: GpuContext,
  x: GpuData,
  w: GpuData,
  p: Conv2dParams,
  grouped: boolean,
): GpuData {
  const pw = isPointwiseConv(p);
  const groups = grouped ? (p.groups ?? 1) : 1;
  const loadA = grouped
    ? 'Wt[((b % grp) * oG + r) * cG * kH * kW + k]'
    : 'Wt[r * inC * kH * kW + k]';
  const loadB = grouped ? 'im2col(b / grp, (b % grp) * cG, k, c)' : 'im2col(b, k, c)';
  const g = geometry(
    p,
    macs(p),
    pw,
    `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
${im2col(pw, grouped)}
fn loadA(b: u32, r: u32, k: u32) -> f32 { return ${loadA}; }
fn loadB(b: u32, k: u32, c: u32) -> f32 { return ${loadB}; }
`,
    grouped,
  );
  return gemm(ctx, {
    key: `${grouped ? 'groupedConv2d' : 'conv2d'}.${g.key}`,
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

function backwardInput(
  ctx: GpuContext,
  dy: GpuData,
  w: GpuData,
  p: Conv2dParams,
  grouped: boolean,
): GpuData {
  const pw = isPointwiseConv(p);
  const groups = grouped ? (p.groups ?? 1) : 1;
  // Image of batch entry b, first output channel of its group, channels per filter.
  const n = grouped ? '(b / grp)' : 'b';
  const o0 = grouped ? '(b % grp) * oG + ' : '';
  const cPer = grouped ? 'cG' : 'inC';
  const loadB = pw
    ? `return DY[(${n} * outC + ${o0}k) * outH * outW + c];`
    : `let kk = kH * kW;
  let o = ${o0}k / kk;
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
  return DY[((${n} * outC + o) * outH + oh) * outW + ow];`;
  const g = geometry(
    p,
    macs(p),
    pw,
    `@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
fn loadA(b: u32, r: u32, k: u32) -> f32 {
  let kk = kH * kW;
  return Wt[((${o0}k / kk) * ${cPer} + r) * kk + k % kk];
}
fn loadB(b: u32, k: u32, c: u32) -> f32 {
  ${loadB}
}
`,
    grouped,
  );
  return gemm(ctx, {
    key: `${grouped ? 'groupedConv2dBackwardInput' : 'conv2dBackwardInput'}.${g.key}`,
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

function backwardFilter(
  ctx: GpuContext,
  x: GpuData,
  dy: GpuData,
  p: Conv2dParams,
  grouped: boolean,
): GpuData {
  const pw = isPointwiseConv(p);
  const groups = grouped ? (p.groups ?? 1) : 1;
  const g = geometry(
    p,
    macs(p),
    pw,
    `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> DY: array<f32>;
${im2col(pw, grouped)}
fn loadA(b: u32, r: u32, k: u32) -> f32 {
  let ohw = outH * outW;
  return DY[((k / ohw) * outC + ${grouped ? 'b * oG + ' : ''}r) * ohw + k % ohw];
}
fn loadB(b: u32, k: u32, c: u32) -> f32 {
  let ohw = outH * outW;
  return im2col(k / ohw, ${grouped ? 'b * cG, ' : ''}c, k % ohw);
}
`,
    grouped,
  );
  return gemm(ctx, {
    key: `${grouped ? 'groupedConv2dBackwardFilter' : 'conv2dBackwardFilter'}.${g.key}`,
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

/** x [N,C,H,W], w [O,C,KH,KW] → y [N,O,OH,OW]. */
export function conv2d(ctx: GpuContext, x: GpuData, w: GpuData, p: Conv2dParams): GpuData {
  return forward(ctx, x, w, p, false);
}

/** dy [N,O,OH,OW], w [O,C,KH,KW] → dx [N,C,H,W]. */
export function conv2dBackwardInput(
  ctx: GpuContext,
  dy: GpuData,
  w: GpuData,
  p: Conv2dParams,
): GpuData {
  return backwardInput(ctx, dy, w, p, false);
}

/** x [N,C,H,W], dy [N,O,OH,OW] → dw [O,C,KH,KW]. */
export function conv2dBackwardFilter(
  ctx: GpuContext,
  x: GpuData,
  dy: GpuData,
  p: Conv2dParams,
): GpuData {
  return backwardFilter(ctx, x, dy, p, false);
}

/** x [N,C,H,W], w [O,C/groups,KH,KW] → y [N,O,OH,OW]. */
export function groupedConv2d(ctx: GpuContext, x: GpuData, w: GpuData, p: Conv2dParams): GpuData {
  return forward(ctx, x, w, p, true);
}

/** dy [N,O,OH,OW], w [O,C/groups,KH,KW] → dx [N,C,H,W]. */
export function groupedConv2dBackwardInput(
  ctx: GpuContext,
  dy: GpuData,
  w: GpuData,
  p: Conv2dParams,
): GpuData {
  return backwardInput(ctx, dy, w, p, true);
}

/** x [N,C,H,W], dy [N,O,OH,OW] → dw [O,C/groups,KH,KW]. */
export function groupedConv2dBackwardFilter(
  ctx: GpuContext,
  x: GpuData,
  dy: GpuData,
  p: Conv2dParams,
): GpuData {
  return backwardFilter(ctx, x, dy, p, true);
}
