/**
 * Batch-norm statistics in one dispatch: per channel c of a contiguous
 * [outer, channels, inner] buffer, the mean and the variance
 * Σ(x − mean)² / (count − correction) over its outer·inner elements
 * (the composed path takes a sum, a division, a subtraction, a square, a
 * second sum and division, and the scalar fills between them).
 *
 * One workgroup per channel reads its elements twice, for the mean and then
 * the squared deviations (two passes, as the composition computes it, so no
 * cancellation from Σx² − (Σx)²/n), each combined in a shared-memory tree.
 * With running averages it also writes their update (PyTorch's momentum rule,
 * unbiased variance), saving the 7 elementwise dispatches of the composition.
 */
import type { GpuContext, GpuData } from '../context.js';

/** Running averages updated in the same dispatch (see core's RunningStatsUpdate). */
export interface RunningInputs {
  mean: GpuData;
  variance: GpuData;
  momentum: number;
}

const WG = 256;

/** Mean and variance per channel, each [channels]. */
export function batchNormStats(
  ctx: GpuContext,
  x: GpuData,
  outer: number,
  channels: number,
  inner: number,
  correction: number,
  running: RunningInputs | null = null,
): { mean: GpuData; variance: GpuData; runningMean?: GpuData; runningVariance?: GpuData } {
  const mean = ctx.alloc(channels, 'float32');
  const variance = ctx.alloc(channels, 'float32');
  const count = outer * inner;
  const buf = new ArrayBuffer(32);
  const u = new Uint32Array(buf);
  u.set([outer, channels, inner, count]);
  const m = running?.momentum ?? 0;
  new Float32Array(buf).set([count - correction, 1 - m, m, count / (count - 1)], 4);
  const r = running !== null;
  const runningMean = r ? ctx.alloc(channels, 'float32') : null;
  const runningVariance = r ? ctx.alloc(channels, 'float32') : null;
  const [gx, gy] = ctx.dispatch1d(channels, 1);
  ctx.run({
    key: `batchNormStats.${r}`,
    code: () => `struct Params { outer: u32, channels: u32, inner: u32, count: u32, divisor: f32,
  keep: f32, momentum: f32, unbias: f32 }
${
  r
    ? `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> runMean: array<f32>;
@group(0) @binding(2) var<storage, read> runVar: array<f32>;
@group(0) @binding(3) var<storage, read_write> meanOut: array<f32>;
@group(0) @binding(4) var<storage, read_write> varOut: array<f32>;
@group(0) @binding(5) var<storage, read_write> runMeanOut: array<f32>;
@group(0) @binding(6) var<storage, read_write> runVarOut: array<f32>;
@group(0) @binding(7) var<uniform> P: Params;`
    : `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> meanOut: array<f32>;
@group(0) @binding(2) var<storage, read_write> varOut: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;`
}
var<workgroup> acc: array<f32, ${WG}>;
fn at(c: u32, k: u32) -> u32 {
  let n = k / P.inner;
  return (n * P.channels + c) * P.inner + (k - n * P.inner);
}
fn total(lid: u32) -> f32 {
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { acc[lid] += acc[lid + s]; }
    workgroupBarrier();
  }
  let t = acc[0];
  workgroupBarrier();
  return t;
}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= P.channels) { return; }
  var a = 0.0;
  for (var k = lid; k < P.count; k += ${WG}u) { a += x[at(c, k)]; }
  acc[lid] = a;
  let mu = total(lid) / f32(P.count);
  var q = 0.0;
  for (var k = lid; k < P.count; k += ${WG}u) { let d = x[at(c, k)] - mu; q += d * d; }
  acc[lid] = q;
  let v = total(lid) / P.divisor;
  if (lid == 0u) {
    meanOut[c] = mu;
    varOut[c] = v;${
      r
        ? `
    runMeanOut[c] = runMean[c] * P.keep + mu * P.momentum;
    runVarOut[c] = runVar[c] * P.keep + (v * P.unbias) * P.momentum;`
        : ''
    }
  }
}
`,
    inputs: r ? [x, running.mean, running.variance] : [x],
    outputs: r ? [mean, variance, runningMean!, runningVariance!] : [mean, variance],
    uniforms: buf,
    workgroups: [gx, gy],
  });
  if (!r) return { mean, variance };
  return { mean, variance, runningMean: runningMean!, runningVariance: runningVariance! };
}
