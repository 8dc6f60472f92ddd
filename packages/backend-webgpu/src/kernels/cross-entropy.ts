/**
 * Softmax cross-entropy on int32 labels, forward and backward, each in one
 * dispatch (the composed path takes log-softmax, gather, negation, the
 * smoothing terms, the reduction and their backward chain: 10–25 kernels).
 *
 * Per row, stabilised by the row maximum m, with s = Σ exp(x − m):
 *   loss = (1 − ε)·(log s − (x_y − m)) + ε·(log s − Σ(x − m)/C)
 *   dx   = g·(exp(x − m)/s − (1 − ε)·[c = y] − ε/C)
 * A label outside [0, C) or a NaN in the row makes the row's loss (and
 * gradient) NaN, the only signal a GPU can give without a host read.
 *
 * Forward with 'sum'/'mean': one workgroup per block of up to 2,048 rows
 * (each invocation takes rows lid, lid + 256, …) combined in a shared-memory
 * tree; one block writes the result directly, more blocks write partial sums
 * that a second dispatch adds up. Backward: one invocation per row.
 */
import type { SoftmaxCrossEntropyParams } from '@nerve/core/backend';
import { type GpuContext, type GpuData, flatIndexWgsl } from '../context.js';
import { IS_NAN_WGSL } from './reduce.js';

const WG = 256;
/** Rows one workgroup of the reducing forward kernel takes. */
const BLOCK_ROWS = WG * 8;

/** WGSL: the row statistics (max, log Σ exp, Σ(x − m)) and the row loss. */
const ROW_WGSL = `${IS_NAN_WGSL}
struct Row { m: f32, s: f32, shiftedSum: f32, bad: bool }
fn rowStats(base: u32) -> Row {
  var r: Row;
  r.m = negInf();
  r.bad = false;
  for (var j = 0u; j < P.classes; j++) {
    let v = x[base + j];
    if (isNan(v)) { r.bad = true; } else if (v > r.m) { r.m = v; }
  }
  r.s = 0.0;
  r.shiftedSum = 0.0;
  for (var j = 0u; j < P.classes; j++) {
    let z = x[base + j] - r.m;
    r.s += exp(z);
    r.shiftedSum += z;
  }
  return r;
}
fn rowLoss(row: u32) -> f32 {
  let y = labels[row];
  if (y < 0 || u32(y) >= P.classes) { return nanF32(); }
  let base = row * P.classes;
  let r = rowStats(base);
  if (r.bad) { return nanF32(); }
  let logS = log(r.s);
  let picked = logS - (x[base + u32(y)] - r.m);
  if (P.smoothing == 0.0) { return picked; }
  return (1.0 - P.smoothing) * picked + P.smoothing * (logS - r.shiftedSum / f32(P.classes));
}
`;

const PARAMS = 'struct Params { rows: u32, classes: u32, smoothing: f32, scale: f32, blocks: u32 }';

function uniforms(p: SoftmaxCrossEntropyParams, scale: number, blocks: number): ArrayBuffer {
  const buf = new ArrayBuffer(20);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  u[0] = p.rows;
  u[1] = p.classes;
  f[2] = p.labelSmoothing;
  f[3] = scale;
  u[4] = blocks;
  return buf;
}

const INPUTS = `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
`;

/** Row losses [rows] ('none') or their sum / mean (one element). */
export function softmaxCrossEntropy(
  ctx: GpuContext,
  logits: GpuData,
  labels: GpuData,
  p: SoftmaxCrossEntropyParams,
): GpuData {
  if (p.reduction === 'none') {
    const out = ctx.alloc(p.rows, 'float32');
    const [gx, gy] = ctx.dispatch1d(p.rows, 64);
    ctx.run({
      key: 'crossEntropy.rows',
      code: () => `${PARAMS}
${INPUTS}@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
${ROW_WGSL}${flatIndexWgsl(64)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = flatIndex(gid, nwg);
  if (row < P.rows) { out[row] = rowLoss(row); }
}
`,
      inputs: [logits, labels],
      outputs: [out],
      uniforms: uniforms(p, 1, 1),
      workgroups: [gx, gy],
    });
    return out;
  }
  const scale = p.reduction === 'mean' ? 1 / p.rows : 1;
  const blocks = Math.ceil(p.rows / BLOCK_ROWS);
  const first = ctx.alloc(blocks, 'float32');
  const [gx, gy] = ctx.dispatch1d(blocks, 1);
  ctx.run({
    key: 'crossEntropy.reduce',
    code: () => `${PARAMS}
${INPUTS}@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
${ROW_WGSL}
var<workgroup> acc: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let block = wid.x + wid.y * nwg.x;
  let r0 = block * ${BLOCK_ROWS}u;
  let r1 = min(P.rows, r0 + ${BLOCK_ROWS}u);
  var a = 0.0;
  for (var row = r0 + lid; row < r1; row += ${WG}u) { a += rowLoss(row); }
  acc[lid] = a;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { acc[lid] += acc[lid + s]; }
    workgroupBarrier();
  }
  // One block scales its total at once; several leave that to the second pass.
  if (lid == 0u && block < P.blocks) { out[block] = select(acc[0], acc[0] * P.scale, P.blocks == 1u); }
}
`,
    inputs: [logits, labels],
    outputs: [first],
    uniforms: uniforms(p, scale, blocks),
    workgroups: [gx, gy],
  });
  if (blocks === 1) return first;
  const out = ctx.alloc(1, 'float32');
  ctx.run({
    key: 'crossEntropy.total',
    code: () => `${PARAMS}
@group(0) @binding(0) var<storage, read> partial: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;
var<workgroup> acc: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32) {
  var a = 0.0;
  for (var b = lid; b < P.blocks; b += ${WG}u) { a += partial[b]; }
  acc[lid] = a;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { acc[lid] += acc[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[0] = acc[0] * P.scale; }
}
`,
    inputs: [first],
    outputs: [out],
    uniforms: uniforms(p, scale, blocks),
    workgroups: [1],
  });
  ctx.release(first);
  return out;
}

/** Gradient with respect to the logits, [rows, classes]. */
export function softmaxCrossEntropyBackward(
  ctx: GpuContext,
  logits: GpuData,
  labels: GpuData,
  dy: GpuData,
  p: SoftmaxCrossEntropyParams,
): GpuData {
  const out = ctx.alloc(p.rows * p.classes, 'float32');
  const perRow = p.reduction === 'none';
  const scale = p.reduction === 'mean' ? 1 / p.rows : 1;
  const [gx, gy] = ctx.dispatch1d(p.rows, 64);
  ctx.run({
    key: `crossEntropy.backward.${perRow}`,
    code: () => `${PARAMS}
${INPUTS}@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;
${ROW_WGSL}${flatIndexWgsl(64)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = flatIndex(gid, nwg);
  if (row >= P.rows) { return; }
  let base = row * P.classes;
  let g = ${perRow ? 'dy[row]' : 'dy[0] * P.scale'};
  let y = labels[row];
  let r = rowStats(base);
  let bad = r.bad || y < 0 || u32(y) >= P.classes;
  let off = P.smoothing / f32(P.classes);
  let hit = 1.0 - P.smoothing;
  for (var j = 0u; j < P.classes; j++) {
    let q = select(off, hit + off, i32(j) == y);
    let d = g * (exp(x[base + j] - r.m) / r.s - q);
    out[base + j] = select(d, nanF32(), bad);
  }
}
`,
    inputs: [logits, labels, dy],
    outputs: [out],
    uniforms: uniforms(p, scale, 1),
    workgroups: [gx, gy],
  });
  return out;
}
