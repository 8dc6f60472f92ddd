/**
 * Softmax and log-softmax over the last axis of a contiguous [outer, n]
 * float32 buffer, stabilised by the row maximum (no exp overflows):
 *   softmax = exp(x − max) / Σ exp(x − max),  logSoftmax = x − max − log Σ exp(x − max).
 *
 * Short rows take one invocation each; longer rows one workgroup each, with
 * the maximum and the sum combined through a shared-memory tree. A NaN in a
 * row makes the whole row NaN (as in PyTorch); that is tracked as a flag
 * because WGSL lets compilers assume arithmetic never meets NaN.
 */
import { type GpuContext, type GpuData, flatIndexWgsl } from '../context.js';
import { IS_NAN_WGSL } from './reduce.js';

/** Rows up to this long are handled by a single invocation. */
const SHORT_ROW = 32;

const NEG_INF = 'negInf()';
const NAN = 'nanF32()';

/** Softmax over the last axis of [outer, n]. */
export function softmax(ctx: GpuContext, x: GpuData, outer: number, n: number): GpuData {
  return run(ctx, x, outer, n, false);
}

/** Log-softmax over the last axis of [outer, n]. */
export function logSoftmax(ctx: GpuContext, x: GpuData, outer: number, n: number): GpuData {
  return run(ctx, x, outer, n, true);
}

function run(ctx: GpuContext, x: GpuData, outer: number, n: number, log: boolean): GpuData {
  const out = ctx.alloc(outer * n, 'float32');
  if (outer * n === 0) return out;
  const write = log ? 'v - rowMax - logSum' : 'exp(v - rowMax) / sum';
  const uniforms = new Uint32Array([outer, n]).buffer;
  if (n <= SHORT_ROW) {
    const [gx, gy] = ctx.dispatch1d(outer, 64);
    ctx.run({
      key: `softmax.row.${log}`,
      code: () => `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
struct Params { outer: u32, n: u32 }
@group(0) @binding(2) var<uniform> P: Params;
${IS_NAN_WGSL}${flatIndexWgsl(64)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = flatIndex(gid, nwg);
  if (row >= P.outer) { return; }
  let base = row * P.n;
  var rowMax = ${NEG_INF};
  var nan = false;
  for (var j = 0u; j < P.n; j++) {
    let v = x[base + j];
    if (isNan(v)) { nan = true; } else if (v > rowMax) { rowMax = v; }
  }
  var sum = 0.0;
  for (var j = 0u; j < P.n; j++) { sum += exp(x[base + j] - rowMax); }
  let logSum = log(sum);
  for (var j = 0u; j < P.n; j++) {
    let v = x[base + j];
    out[base + j] = select(${write}, ${NAN}, nan);
  }
}
`,
      inputs: [x],
      outputs: [out],
      uniforms,
      workgroups: [gx, gy],
    });
    return out;
  }
  const wg = Math.min(256, 2 ** Math.floor(Math.log2(ctx.limits.maxWorkgroupSize)));
  const [gx, gy] = ctx.dispatch1d(outer, 1);
  ctx.run({
    key: `softmax.wg.${wg}.${log}`,
    code: () => `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
struct Params { outer: u32, n: u32 }
@group(0) @binding(2) var<uniform> P: Params;
${IS_NAN_WGSL}
const WG = ${wg}u;
var<workgroup> sm: array<f32, ${wg}>;
var<workgroup> sf: array<u32, ${wg}>;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= P.outer) { return; }
  let base = row * P.n;
  var m = ${NEG_INF};
  var nan = 0u;
  for (var j = lid; j < P.n; j += WG) {
    let v = x[base + j];
    if (isNan(v)) { nan = 1u; } else if (v > m) { m = v; }
  }
  sm[lid] = m;
  sf[lid] = nan;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      if (sm[lid + s] > sm[lid]) { sm[lid] = sm[lid + s]; }
      sf[lid] |= sf[lid + s];
    }
    workgroupBarrier();
  }
  let rowMax = sm[0];
  let rowNan = sf[0] != 0u;
  workgroupBarrier();
  var acc = 0.0;
  for (var j = lid; j < P.n; j += WG) { acc += exp(x[base + j] - rowMax); }
  sm[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { sm[lid] += sm[lid + s]; }
    workgroupBarrier();
  }
  let sum = sm[0];
  let logSum = log(sum);
  for (var j = lid; j < P.n; j += WG) {
    let v = x[base + j];
    out[base + j] = select(${write}, ${NAN}, rowNan);
  }
}
`,
    inputs: [x],
    outputs: [out],
    uniforms,
    workgroups: [gx, gy],
  });
  return out;
}
