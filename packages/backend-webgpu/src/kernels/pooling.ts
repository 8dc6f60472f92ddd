/**
 * 2-D max and average pooling over NCHW planes (outChannels = inChannels),
 * windows with stride, padding and dilation like conv2d. One invocation per
 * output (forward) or per input pixel (average-pool backward, which gathers
 * the windows covering the pixel instead of scattering, so no atomics).
 */
import type { Conv2dParams } from '@nerve/core/backend';
import { type GpuContext, type GpuData, flatIndexWgsl } from '../context.js';
import { IS_NAN_WGSL } from './reduce.js';

function uniforms(p: Conv2dParams, count: number): ArrayBuffer {
  const buf = new ArrayBuffer(14 * 4);
  const u = new Uint32Array(buf);
  const s = new Int32Array(buf);
  u.set([
    count,
    p.inHeight,
    p.inWidth,
    p.outHeight,
    p.outWidth,
    p.kernelHeight,
    p.kernelWidth,
    p.strideH,
    p.strideW,
  ]);
  s[9] = p.padH;
  s[10] = p.padW;
  u[11] = p.dilationH;
  u[12] = p.dilationW;
  return buf;
}

const PARAMS = `struct Params { count: u32, H: u32, W: u32, OH: u32, OW: u32, KH: u32, KW: u32,
  sH: u32, sW: u32, pH: i32, pW: i32, dH: u32, dW: u32 }
`;

const HEAD = (bindings: string) => `${bindings}
${PARAMS}${flatIndexWgsl(64)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flatIndex(gid, nwg);
  if (t >= P.count) { return; }`;

/** Output position t → plane, and the window's top-left corner in the input. */
const WINDOW = `  let plane = t / (P.OH * P.OW);
  let h0 = i32((t / P.OW) % P.OH * P.sH) - P.pH;
  let w0 = i32(t % P.OW * P.sW) - P.pW;
  let base = plane * P.H * P.W;`;

/**
 * Max pooling with implicit -∞ padding: the first maximum in row-major window
 * order wins, a NaN wins at once; a window wholly in the padding gives -∞
 * and index -1 (as in the CPU backend).
 */
export function maxPool2d(
  ctx: GpuContext,
  x: GpuData,
  p: Conv2dParams,
): { out: GpuData; indices: GpuData } {
  const count = p.batch * p.inChannels * p.outHeight * p.outWidth;
  const out = ctx.alloc(count, 'float32');
  const indices = ctx.alloc(count, 'int32');
  const [gx, gy] = ctx.dispatch1d(count, 64);
  ctx.run({
    key: 'maxPool2d',
    code: () => `${HEAD(`@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> indices: array<i32>;
@group(0) @binding(3) var<uniform> P: Params;
${IS_NAN_WGSL}`)}
${WINDOW}
  var best = negInf();
  var at = -1;
  for (var kh = 0u; kh < P.KH; kh++) {
    let ih = h0 + i32(kh * P.dH);
    if (ih < 0 || ih >= i32(P.H)) { continue; }
    for (var kw = 0u; kw < P.KW; kw++) {
      let iw = w0 + i32(kw * P.dW);
      if (iw < 0 || iw >= i32(P.W)) { continue; }
      let v = x[base + u32(ih) * P.W + u32(iw)];
      if (at >= 0 && isNan(best)) { break; }
      if (at < 0 || v > best || isNan(v)) { best = v; at = ih * i32(P.W) + iw; }
    }
  }
  out[t] = best;
  indices[t] = at;
}
`,
    inputs: [x],
    outputs: [out, indices],
    uniforms: uniforms(p, count),
    workgroups: [gx, gy],
  });
  return { out, indices };
}

/** Average pooling; padded elements count in the divisor (kh·kw always, PyTorch's default). */
export function avgPool2d(ctx: GpuContext, x: GpuData, p: Conv2dParams): GpuData {
  const count = p.batch * p.inChannels * p.outHeight * p.outWidth;
  const out = ctx.alloc(count, 'float32');
  const [gx, gy] = ctx.dispatch1d(count, 64);
  ctx.run({
    key: 'avgPool2d',
    code: () => `${HEAD(`@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;`)}
${WINDOW}
  var s = 0.0;
  for (var kh = 0u; kh < P.KH; kh++) {
    let ih = h0 + i32(kh * P.dH);
    if (ih < 0 || ih >= i32(P.H)) { continue; }
    for (var kw = 0u; kw < P.KW; kw++) {
      let iw = w0 + i32(kw * P.dW);
      if (iw < 0 || iw >= i32(P.W)) { continue; }
      s += x[base + u32(ih) * P.W + u32(iw)];
    }
  }
  out[t] = s / f32(P.KH * P.KW);
}
`,
    inputs: [x],
    outputs: [out],
    uniforms: uniforms(p, count),
    workgroups: [gx, gy],
  });
  return out;
}

/**
 * dy [N,C,OH,OW] → dx [N,C,H,W]: each input pixel sums dy/(kh·kw) over the
 * windows that cover it (tap (kh, kw) covers it when ih + padH − kh·dilH is a
 * non-negative multiple of strideH below OH·strideH, likewise for w).
 */
export function avgPool2dBackward(ctx: GpuContext, dy: GpuData, p: Conv2dParams): GpuData {
  const count = p.batch * p.inChannels * p.inHeight * p.inWidth;
  const dx = ctx.alloc(count, 'float32');
  const [gx, gy] = ctx.dispatch1d(count, 64);
  ctx.run({
    key: 'avgPool2dBackward',
    code: () => `${HEAD(`@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;`)}
  let plane = t / (P.H * P.W);
  let ih = i32((t / P.W) % P.H);
  let iw = i32(t % P.W);
  let base = plane * P.OH * P.OW;
  var s = 0.0;
  for (var kh = 0u; kh < P.KH; kh++) {
    let th = ih + P.pH - i32(kh * P.dH);
    if (th < 0 || u32(th) % P.sH != 0u || u32(th) / P.sH >= P.OH) { continue; }
    for (var kw = 0u; kw < P.KW; kw++) {
      let tw = iw + P.pW - i32(kw * P.dW);
      if (tw < 0 || u32(tw) % P.sW != 0u || u32(tw) / P.sW >= P.OW) { continue; }
      s += dy[base + (u32(th) / P.sH) * P.OW + u32(tw) / P.sW];
    }
  }
  dx[t] = s / f32(P.KH * P.KW);
}
`,
    inputs: [dy],
    outputs: [dx],
    uniforms: uniforms(p, count),
    workgroups: [gx, gy],
  });
  return dx;
}
