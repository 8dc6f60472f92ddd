/**
 * Batch normalization's elementwise forward and its fused backward, over a
 * contiguous [outer, channels, inner] buffer (with batchnorm-stats.ts: three
 * dispatches per layer and step, where the composition takes about thirty).
 *
 * Forward: one invocation per element, y = (x − μ[c])·rsqrt(σ²[c] + eps)·w[c] + b[c].
 * Backward: one workgroup per channel sums Σdy and Σdy·(x − μ) in a
 * shared-memory tree, then writes dx for the channel's elements
 * (Ioffe & Szegedy 2015, section 3), and dweight, dbias.
 */
import type { BatchNormParams } from '@nerve/core/backend';
import { type GpuContext, type GpuData, flatIndexWgsl } from '../context.js';

const WG = 256;

function uniforms(p: BatchNormParams): ArrayBuffer {
  const buf = new ArrayBuffer(20);
  new Uint32Array(buf).set([p.outer, p.channels, p.inner, p.outer * p.channels * p.inner]);
  new Float32Array(buf)[4] = p.eps;
  return buf;
}

const PARAMS = 'struct Params { outer: u32, channels: u32, inner: u32, size: u32, eps: f32 }';

/** y [outer, channels, inner] from x and per-channel statistics, weight and bias. */
export function batchNormForward(
  ctx: GpuContext,
  x: GpuData,
  mean: GpuData,
  variance: GpuData,
  weight: GpuData | null,
  bias: GpuData | null,
  p: BatchNormParams,
): GpuData {
  const size = p.outer * p.channels * p.inner;
  const out = ctx.alloc(size, 'float32');
  const inputs = [x, mean, variance];
  if (weight) inputs.push(weight);
  if (bias) inputs.push(bias);
  const decl = ['x', 'mean', 'variance'];
  if (weight) decl.push('weight');
  if (bias) decl.push('bias');
  const o = inputs.length;
  let expr = '(x[i] - mean[c]) * inverseSqrt(variance[c] + P.eps)';
  if (weight) expr = `${expr} * weight[c]`;
  if (bias) expr = `${expr} + bias[c]`;
  const [gx, gy] = ctx.dispatch1d(size, WG);
  ctx.run({
    key: `batchNorm.forward.${weight !== null}.${bias !== null}`,
    code: () => `${PARAMS}
${decl.map((n, b) => `@group(0) @binding(${b}) var<storage, read> ${n}: array<f32>;`).join('\n')}
@group(0) @binding(${o}) var<storage, read_write> out: array<f32>;
@group(0) @binding(${o + 1}) var<uniform> P: Params;
${flatIndexWgsl(WG)}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= P.size) { return; }
  let c = (i / P.inner) % P.channels;
  out[i] = ${expr};
}
`,
    inputs,
    outputs: [out],
    uniforms: uniforms(p),
    workgroups: [gx, gy],
  });
  return out;
}

/** dx, dweight and dbias of training-mode batch normalization. */
export function batchNormBackward(
  ctx: GpuContext,
  x: GpuData,
  dy: GpuData,
  mean: GpuData,
  variance: GpuData,
  weight: GpuData | null,
  p: BatchNormParams,
): { dx: GpuData; dweight: GpuData; dbias: GpuData } {
  const size = p.outer * p.channels * p.inner;
  const dx = ctx.alloc(size, 'float32');
  const dweight = ctx.alloc(p.channels, 'float32');
  const dbias = ctx.alloc(p.channels, 'float32');
  const inputs = weight ? [x, dy, mean, variance, weight] : [x, dy, mean, variance];
  const o = inputs.length;
  const [gx, gy] = ctx.dispatch1d(p.channels, 1);
  ctx.run({
    key: `batchNorm.backward.${weight !== null}`,
    code: () => `${PARAMS}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
${weight ? '@group(0) @binding(4) var<storage, read> weight: array<f32>;' : ''}
@group(0) @binding(${o}) var<storage, read_write> dx: array<f32>;
@group(0) @binding(${o + 1}) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(${o + 2}) var<storage, read_write> dbias: array<f32>;
@group(0) @binding(${o + 3}) var<uniform> P: Params;
var<workgroup> sa: array<f32, ${WG}>;
var<workgroup> sb: array<f32, ${WG}>;
fn at(c: u32, k: u32) -> u32 {
  let n = k / P.inner;
  return (n * P.channels + c) * P.inner + (k - n * P.inner);
}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= P.channels) { return; }
  let count = P.outer * P.inner;
  let mu = mean[c];
  var a = 0.0;
  var b = 0.0;
  for (var k = lid; k < count; k += ${WG}u) {
    let j = at(c, k);
    a += dy[j];
    b += dy[j] * (x[j] - mu);
  }
  sa[lid] = a;
  sb[lid] = b;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { sa[lid] += sa[lid + s]; sb[lid] += sb[lid + s]; }
    workgroupBarrier();
  }
  let invStd = inverseSqrt(variance[c] + P.eps);
  let sumDy = sa[0];
  let sumDyXhat = sb[0] * invStd;
  let w = ${weight ? 'weight[c]' : '1.0'};
  let m = f32(count);
  let scale = w * invStd / m;
  for (var k = lid; k < count; k += ${WG}u) {
    let j = at(c, k);
    let xhat = (x[j] - mu) * invStd;
    dx[j] = scale * (m * dy[j] - sumDy - xhat * sumDyXhat);
  }
  if (lid == 0u) { dweight[c] = sumDyXhat; dbias[c] = sumDy; }
}
`,
    inputs,
    outputs: [dx, dweight, dbias],
    uniforms: uniforms(p),
    workgroups: [gx, gy],
  });
  return { dx, dweight, dbias };
}
