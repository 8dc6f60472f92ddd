/**
 * Reductions over the middle axis of a contiguous [outer, size, inner] buffer.
 *
 * Two shapes of kernel:
 * - per output: one invocation walks its column j = 0..size-1 in order
 *   (short axes, or many outputs with inner > 1 so neighbours read neighbours);
 * - per workgroup: 256 invocations stride over the axis and combine in a
 *   shared-memory tree (long axes with few outputs). A very long axis is first
 *   cut into chunks reduced by separate workgroups into [outer, chunks, inner]
 *   partials (values, plus positions for arg*), then reduced again.
 *
 * NaN is the extreme for max/min/argmax/argmin and the first one wins, as in
 * PyTorch and the CPU backend. WGSL lets compilers assume no NaNs, so NaN is
 * tested on the bit pattern and never through `x != x` or `max()`.
 */
import type { DType, ReduceOp } from '@nerve/core/backend';
import { type GpuContext, type GpuData, flatIndexWgsl, wgslType } from '../context.js';

/** Invocations per workgroup of the tree kernel (fewer where the device allows fewer). */
const TREE_WG = 256;
/** An axis at least this long (with few outputs) is reduced by a workgroup, not an invocation. */
const TREE_MIN_SIZE = 128;
/** Outputs below which a long axis gets whole workgroups even when inner > 1. */
const TREE_MAX_OUTPUTS = 2048;
/** Elements a workgroup reduces per chunk when a long axis is split across workgroups. */
const CHUNK = 4096;
/** Workgroups to aim for when splitting a long axis over few outputs. */
const TARGET_GROUPS = 1024;

/**
 * WGSL: `isNan` on the bit pattern (immune to fast-math assumptions), and
 * `negInf()` / `nanF32()`, built from a `var` so they are not constant
 * expressions (WGSL rejects a constant -inf or NaN at compile time).
 */
export const IS_NAN_WGSL = `fn isNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn negInf() -> f32 { var b = 0xff800000u; return bitcast<f32>(b); }
fn nanF32() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }
`;

/** Reduces the middle axis of contiguous [outer, size, inner] → [outer, inner] (int32 for arg*). */
export function reduce(
  ctx: GpuContext,
  op: ReduceOp,
  x: GpuData,
  dtype: DType,
  outer: number,
  size: number,
  inner: number,
): GpuData {
  const count = outer * inner;
  if (size === 0 && count > 0 && op !== 'sum' && op !== 'prod') {
    throw new Error(`reduce: ${op} over an axis of size 0 has no identity`);
  }
  return reduceStep(ctx, op, x, null, dtype, outer, size, inner);
}

/** One pass; `pos` (arg* second passes) holds the original position of each element of x. */
function reduceStep(
  ctx: GpuContext,
  op: ReduceOp,
  x: GpuData,
  pos: GpuData | null,
  dtype: DType,
  outer: number,
  size: number,
  inner: number,
): GpuData {
  const count = outer * inner;
  const arg = op === 'argmax' || op === 'argmin';
  const outDtype: DType = arg ? 'int32' : dtype;
  const tree = size >= TREE_MIN_SIZE && (inner === 1 || count < TREE_MAX_OUTPUTS);
  if (!tree) {
    const out = ctx.alloc(count, outDtype);
    const [gx, gy] = ctx.dispatch1d(count, 64);
    const inputs = pos === null ? [x] : [x, pos];
    ctx.run({
      key: `reduce.seq.${op}.${dtype}.${pos !== null}`,
      code: () => seqCode(op, dtype, pos !== null),
      inputs,
      outputs: [out],
      uniforms: new Uint32Array([outer, size, inner, count]).buffer,
      workgroups: [gx, gy],
    });
    return out;
  }
  const wg = Math.min(TREE_WG, 2 ** Math.floor(Math.log2(ctx.limits.maxWorkgroupSize)));
  const chunks =
    count < TARGET_GROUPS && size > 2 * CHUNK
      ? Math.min(Math.ceil(size / CHUNK), Math.ceil(TARGET_GROUPS / count))
      : 1;
  const chunkLen = Math.ceil(size / chunks);
  const groups = count * chunks;
  const [gx, gy] = ctx.dispatch1d(groups, 1);
  const vals = ctx.alloc(groups, arg && chunks > 1 ? dtype : outDtype);
  const idx = arg && chunks > 1 ? ctx.alloc(groups, 'int32') : null;
  const outputs = arg && chunks > 1 ? [vals, idx!] : [vals];
  ctx.run({
    key: `reduce.tree.${op}.${dtype}.${pos !== null}.${outputs.length}.${wg}`,
    code: () => treeCode(op, dtype, pos !== null, outputs.length === 2, wg),
    inputs: pos === null ? [x] : [x, pos],
    outputs,
    uniforms: new Uint32Array([outer, size, inner, chunks, chunkLen, groups]).buffer,
    workgroups: [gx, gy],
  });
  if (chunks === 1) return vals;
  // Partials are laid out [outer * inner, chunks]; chunk order keeps "first wins".
  const second = reduceStep(ctx, op, vals, idx, dtype, count, chunks, 1);
  ctx.release(vals);
  if (idx !== null) ctx.release(idx);
  return second;
}

interface OpWgsl {
  /** Identity for sum/prod; null for the selecting ops (which start from an element). */
  init: string | null;
  /** Combine an accumulator `a` with a value `v` (sum/prod). */
  fold?: string;
  /** `better(v, a)`: v replaces a (max/min, NaN counted as extreme). */
  better?: string;
}

function opWgsl(op: ReduceOp, t: string): OpWgsl {
  const float = t === 'f32';
  switch (op) {
    case 'sum':
      return { init: `${t}(0)`, fold: 'a + v' };
    case 'prod':
      return { init: `${t}(1)`, fold: 'a * v' };
    default: {
      const cmp = op === 'max' || op === 'argmax' ? '>' : '<';
      const better = float ? `(!isNan(a) && (v ${cmp} a || isNan(v)))` : `(v ${cmp} a)`;
      return { init: null, better };
    }
  }
}

function seqCode(op: ReduceOp, dtype: DType, hasPos: boolean): string {
  const t = wgslType(dtype);
  const arg = op === 'argmax' || op === 'argmin';
  const o = opWgsl(op, t);
  const outT = arg ? 'i32' : t;
  const bind = hasPos ? 3 : 2;
  const posOf = (j: string, at: string) => (hasPos ? `u32(pos[${at}])` : j);
  let body: string;
  if (o.init !== null) {
    body = `var a = ${o.init};
  for (var j = 0u; j < P.size; j++) { let v = x[base + j * P.inner]; a = ${o.fold}; }
  out[t] = a;`;
  } else {
    body = `var a = x[base];
  var at = ${posOf('0u', 'base')};
  for (var j = 1u; j < P.size; j++) {
    let v = x[base + j * P.inner];
    if ${o.better} { a = v; at = ${posOf('j', 'base + j * P.inner')}; }
  }
  out[t] = ${arg ? 'i32(at)' : 'a'};`;
  }
  return `@group(0) @binding(0) var<storage, read> x: array<${t}>;
${hasPos ? '@group(0) @binding(1) var<storage, read> pos: array<i32>;' : ''}
@group(0) @binding(${bind - 1}) var<storage, read_write> out: array<${outT}>;
${IS_NAN_WGSL}
struct Params { outer: u32, size: u32, inner: u32, count: u32 }
@group(0) @binding(${bind}) var<uniform> P: Params;
${flatIndexWgsl(64)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flatIndex(gid, nwg);
  if (t >= P.count) { return; }
  let base = (t / P.inner) * P.size * P.inner + t % P.inner;
  ${body}
}
`;
}

/**
 * One workgroup per (output, chunk). Each invocation folds a strided subset
 * in order, then the tree combines pairs; for the selecting ops a tie (or two
 * NaNs) keeps the smaller position, which restores "first wins".
 */
function treeCode(
  op: ReduceOp,
  dtype: DType,
  hasPos: boolean,
  writePos: boolean,
  wg: number,
): string {
  const t = wgslType(dtype);
  const arg = op === 'argmax' || op === 'argmin';
  const o = opWgsl(op, t);
  const float = t === 'f32';
  const outs = [`vals: array<${arg && !writePos ? 'i32' : t}>`];
  if (writePos) outs.push('outPos: array<i32>');
  const bind = (hasPos ? 2 : 1) + outs.length;
  const posOf = (j: string, at: string) => (hasPos ? `u32(pos[${at}])` : j);
  const EMPTY = '0xffffffffu';
  let fold: string;
  let combine: string;
  let result: string;
  if (o.init !== null) {
    fold = `var a = ${o.init};
  for (var j = j0 + lid; j < j1; j += ${wg}u) { let v = x[base + j * P.inner]; a = ${o.fold}; }
  sv[lid] = a;`;
    combine = `let a = sv[lid]; let v = sv[lid + s]; sv[lid] = ${o.fold};`;
    result = 'vals[g] = sv[0];';
  } else {
    const equal = float ? '(v == a || (isNan(v) && isNan(a)))' : '(v == a)';
    fold = `var a = ${t}(0);
  var at = ${EMPTY};
  for (var j = j0 + lid; j < j1; j += ${wg}u) {
    let v = x[base + j * P.inner];
    if (at == ${EMPTY} || ${o.better}) { a = v; at = ${posOf('j', 'base + j * P.inner')}; }
  }
  sv[lid] = a;
  sp[lid] = at;`;
    combine = `let bt = sp[lid + s];
      if (bt != ${EMPTY}) {
        let a = sv[lid]; let at = sp[lid]; let v = sv[lid + s];
        if (at == ${EMPTY} || ${o.better} || (${equal} && bt < at)) { sv[lid] = v; sp[lid] = bt; }
      }`;
    result = arg && !writePos ? 'vals[g] = i32(sp[0]);' : 'vals[g] = sv[0];';
    if (writePos) result += ' outPos[g] = i32(sp[0]);';
  }
  const outDecls = outs
    .map((d, i) => `@group(0) @binding(${(hasPos ? 2 : 1) + i}) var<storage, read_write> ${d};`)
    .join('\n');
  return `@group(0) @binding(0) var<storage, read> x: array<${t}>;
${hasPos ? '@group(0) @binding(1) var<storage, read> pos: array<i32>;' : ''}
${outDecls}
struct Params { outer: u32, size: u32, inner: u32, chunks: u32, chunkLen: u32, groups: u32 }
@group(0) @binding(${bind}) var<uniform> P: Params;
${IS_NAN_WGSL}
var<workgroup> sv: array<${t}, ${wg}>;
var<workgroup> sp: array<u32, ${wg}>;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= P.groups) { return; }
  let out = g / P.chunks;
  let c = g % P.chunks;
  let base = (out / P.inner) * P.size * P.inner + out % P.inner;
  let j0 = c * P.chunkLen;
  let j1 = min(P.size, j0 + P.chunkLen);
  ${fold}
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) {
      ${combine}
    }
    workgroupBarrier();
  }
  if (lid == 0u) { ${result} }
}
`;
}
