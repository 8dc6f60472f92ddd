/**
 * gather and its adjoint scatterAdd along the middle axis of [outer, n, inner]
 * (n = GatherParams.axisSize, m = indexSize).
 * The int32 index is read through its strides (a broadcast or transposed
 * index needs no copy). A kernel cannot throw, so an index outside [0, n)
 * reads 0 in gather and is skipped by scatterAdd (max-pool's -1 for a window
 * wholly in the padding relies on that).
 *
 * scatterAdd has two kernels:
 * - one invocation per output element, which walks j = 0..m-1 and adds the
 *   src entries whose index names it: deterministic, O(m) per output, used
 *   while that total stays small (the reductions' backward passes, m = 1);
 * - one invocation per src element adding atomically: O(1) each, used for
 *   long index lists (embeddings, max-pool). WGSL has no float atomics, so
 *   float32 adds go through a compare-exchange loop on the u32 bit pattern;
 *   the order of additions, and so the last bits of a sum over repeated
 *   indices, may differ between runs. int32 uses atomicAdd (exact).
 */
import type { GatherParams, StridedView } from '@nerve/core/backend';
import { type GpuContext, type GpuData, flatIndexWgsl, wgslType } from '../context.js';

/** Work (outputs × m) up to which scatterAdd uses the deterministic per-output kernel. */
const DETERMINISTIC_WORK = 1 << 22;

/** The index argument: an int32 GpuData read through strides over [outer, m, inner]. */
export interface IndexView {
  data: GpuData;
  strides: readonly number[];
  offset: number;
}

/** Accepts the core's StridedView (its id is a GpuData) or an IndexView. */
function indexOf(op: string, v: IndexView | StridedView): IndexView {
  const data = 'data' in v ? v.data : (v.id as GpuData);
  if (data.dtype !== 'int32') {
    throw new Error(`${op}: the index must be an int32 buffer, received ${data.dtype}`);
  }
  if (v.strides.length !== 3) {
    throw new Error(
      `${op}: the index view needs 3 strides for [outer, m, inner], received ${v.strides.length}`,
    );
  }
  return { data, strides: v.strides, offset: v.offset };
}

function indexUniforms(ix: IndexView, outer: number, n: number, m: number, inner: number) {
  const buf = new ArrayBuffer(32);
  const u = new Uint32Array(buf);
  const s = new Int32Array(buf);
  u[0] = outer;
  u[1] = n;
  u[2] = m;
  u[3] = inner;
  s[4] = ix.strides[0];
  s[5] = ix.strides[1];
  s[6] = ix.strides[2];
  s[7] = ix.offset;
  return buf;
}

const PARAMS = `struct Params { outer: u32, n: u32, m: u32, inner: u32, s0: i32, s1: i32, s2: i32, off: i32 }
fn indexAt(o: u32, j: u32, i: u32) -> i32 {
  return idx[P.off + i32(o) * P.s0 + i32(j) * P.s1 + i32(i) * P.s2];
}
`;

/** out[o, j, i] = x[o, index[o, j, i], i]; a bit copy, so one kernel serves every dtype. */
export function gather(
  ctx: GpuContext,
  x: GpuData,
  index: IndexView | StridedView,
  p: GatherParams,
): GpuData {
  const { dtype, outer, axisSize: n, indexSize: m, inner } = p;
  const count = outer * m * inner;
  const out = ctx.alloc(count, dtype);
  if (count === 0) return out;
  const ix = indexOf('gather', index);
  const [gx, gy] = ctx.dispatch1d(count, 64);
  ctx.run({
    key: 'gather',
    code: () => `@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<uniform> P: Params;
${PARAMS}${flatIndexWgsl(64)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flatIndex(gid, nwg);
  if (t >= P.outer * P.m * P.inner) { return; }
  let i = t % P.inner;
  let j = (t / P.inner) % P.m;
  let o = t / (P.inner * P.m);
  let k = indexAt(o, j, i);
  var v = 0u;
  if (k >= 0 && u32(k) < P.n) { v = x[(o * P.n + u32(k)) * P.inner + i]; }
  out[t] = v;
}
`,
    inputs: [x, ix.data],
    outputs: [out],
    uniforms: indexUniforms(ix, outer, n, m, inner),
    workgroups: [gx, gy],
  });
  return out;
}

/** out = zeros [outer, n, inner]; out[o, index[o, j, i], i] += src[o, j, i]. */
export function scatterAdd(
  ctx: GpuContext,
  index: IndexView | StridedView,
  src: GpuData,
  p: GatherParams,
  deterministic?: boolean,
): GpuData {
  const { dtype, outer, axisSize: n, indexSize: m, inner } = p;
  const count = outer * n * inner;
  const out = ctx.alloc(count, dtype);
  if (count === 0) return out;
  const t = wgslType(dtype);
  const uniforms = () =>
    indexUniforms(
      outer * m * inner === 0
        ? { data: src, strides: [0, 0, 0], offset: 0 }
        : indexOf('scatterAdd', index),
      outer,
      n,
      m,
      inner,
    );
  const perOutput = deterministic ?? (m === 0 || count * m <= DETERMINISTIC_WORK);
  if (perOutput) {
    const ix = m === 0 ? src : indexOf('scatterAdd', index).data;
    const [gx, gy] = ctx.dispatch1d(count, 64);
    ctx.run({
      key: `scatterAdd.gather.${t}`,
      code: () => `@group(0) @binding(0) var<storage, read> idx: array<i32>;
@group(0) @binding(1) var<storage, read> src: array<${t}>;
@group(0) @binding(2) var<storage, read_write> out: array<${t}>;
@group(0) @binding(3) var<uniform> P: Params;
${PARAMS}${flatIndexWgsl(64)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flatIndex(gid, nwg);
  if (t >= P.outer * P.n * P.inner) { return; }
  let i = t % P.inner;
  let k = i32((t / P.inner) % P.n);
  let o = t / (P.inner * P.n);
  var s = ${t}(0);
  for (var j = 0u; j < P.m; j++) {
    if (indexAt(o, j, i) == k) { s += src[(o * P.m + j) * P.inner + i]; }
  }
  out[t] = s;
}
`,
      inputs: [ix, src],
      outputs: [out],
      uniforms: uniforms(),
      workgroups: [gx, gy],
    });
    return out;
  }
  const ix = indexOf('scatterAdd', index);
  const [zx, zy] = ctx.dispatch1d(count, 64);
  ctx.run({
    key: 'scatterAdd.zero',
    code: () => `@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> P: vec4<u32>;
${flatIndexWgsl(64)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flatIndex(gid, nwg);
  if (t < P.x) { out[t] = 0u; }
}
`,
    inputs: [],
    outputs: [out],
    uniforms: new Uint32Array([count, 0, 0, 0]).buffer,
    workgroups: [zx, zy],
  });
  const add =
    t === 'f32'
      ? `var old = atomicLoad(&out[at]);
    loop {
      let r = atomicCompareExchangeWeak(&out[at], old, bitcast<u32>(bitcast<f32>(old) + v));
      if (r.exchanged) { break; }
      old = r.old_value;
    }`
      : 'atomicAdd(&out[at], v);';
  const [gx, gy] = ctx.dispatch1d(outer * m * inner, 64);
  ctx.run({
    key: `scatterAdd.atomic.${t}`,
    code: () => `@group(0) @binding(0) var<storage, read> idx: array<i32>;
@group(0) @binding(1) var<storage, read> src: array<${t}>;
@group(0) @binding(2) var<storage, read_write> out: array<atomic<${t === 'f32' ? 'u32' : t}>>;
@group(0) @binding(3) var<uniform> P: Params;
${PARAMS}${flatIndexWgsl(64)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flatIndex(gid, nwg);
  if (t >= P.outer * P.m * P.inner) { return; }
  let i = t % P.inner;
  let j = (t / P.inner) % P.m;
  let o = t / (P.inner * P.m);
  let k = indexAt(o, j, i);
  if (k < 0 || u32(k) >= P.n) { return; }
  let at = (o * P.n + u32(k)) * P.inner + i;
  let v = src[t];
  ${add}
}
`,
    inputs: [ix.data, src],
    outputs: [out],
    uniforms: uniforms(),
    workgroups: [gx, gy],
  });
  return out;
}
