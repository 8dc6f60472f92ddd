/**
 * Matrix products with one side of at most 4 (batch-1 inference, x·W with a
 * single row, W·x with a single column): a GEMV-shaped kernel instead of
 * 64×64 tiles that would be almost all padding.
 *
 * The small side (≤ 4) is unrolled into four registers. A workgroup owns CB
 * output columns of the long side and splits its share of K over SPL
 * invocations per column, then adds the SPL partial sums in a fixed order
 * through workgroup memory. When the columns alone give too few workgroups,
 * K is also split across workgroups and the partial products summed by
 * reduce.ts, so results stay deterministic. The
 * thread layout follows the memory layout of the long operand: when its K
 * axis is contiguous, SPL consecutive invocations read consecutive k of one
 * column; otherwise consecutive invocations read consecutive columns.
 *
 * n ≤ 4 < m is the same problem transposed: Cᵀ = op(B)ᵀ · op(A)ᵀ, written
 * back transposed, so no copy is made either way.
 *
 * With the `subgroups` feature and a contiguous K axis, the per-column sum
 * runs in registers through subgroupAdd instead (matmul-small-subgroups.ts).
 */
import type { MatmulParams } from '@nerve/core/backend';
import type { GpuContext, GpuData } from '../context.js';
import { subgroupSizes } from '../device.js';
import { smallSubgroupCode, subgroupColumns } from './matmul-small-subgroups.js';
import { reduce } from './reduce.js';

/** Largest small side handled here. */
export const SMALL_SIDE = 4;

/** Whether `p` has a side small enough for the GEMV kernel. */
export function isSmallMatmul(p: MatmulParams): boolean {
  return Math.min(p.m, p.n) <= SMALL_SIDE;
}

/** Workgroups to aim for; K is split across workgroups below that. */
const TARGET_GROUPS = 512;
/** Fewest k values one invocation should walk per split. */
const MIN_K_PER_INVOCATION = 32;

/** Overrides of matmulSmall's own choices, for tests. */
export interface SmallForce {
  /** Use (or avoid) the subgroup variant; default: when the device has subgroups and K is contiguous. */
  subgroups?: boolean;
  /** Invocations per workgroup (a size that is no multiple of the subgroup size leaves a partial subgroup). */
  wg?: number;
}

/** Which kernel matmulSmall runs for `p` on `ctx` (for tests and benchmarks). */
export function smallVariant(
  ctx: GpuContext,
  p: MatmulParams,
  force: SmallForce = {},
): 'subgroups' | 'workgroup' {
  const kFast = p.m > SMALL_SIDE ? !p.transA : p.transB;
  return ctx.features.subgroups && kFast && force.subgroups !== false ? 'subgroups' : 'workgroup';
}

export function matmulSmall(
  ctx: GpuContext,
  a: GpuData,
  b: GpuData,
  p: MatmulParams,
  force: SmallForce = {},
): GpuData {
  const swap = p.m > SMALL_SIDE;
  const rows = swap ? p.n : p.m;
  const cols = swap ? p.m : p.n;
  // Whether the long operand's k axis is contiguous in memory.
  const kFast = swap ? !p.transA : p.transB;
  const sg = smallVariant(ctx, p, force) === 'subgroups';
  const wg = force.wg ?? Math.min(256, pow2Floor(ctx.limits.maxWorkgroupSize));
  // Few columns: split K more finely instead (strided reads of a narrow matrix stay close).
  // With subgroups, one column per subgroup of the smallest reported size.
  const cb = sg
    ? subgroupColumns(wg, subgroupSizes(ctx.device).min)
    : Math.min(kFast || cols < 64 ? 8 : 64, wg);
  // Invocations that share one column's K (for the split heuristic below).
  const spl = Math.max(1, Math.floor(wg / cb));
  const blocks = Math.ceil(cols / cb) * p.batch;
  const splits = Math.max(
    1,
    Math.min(
      Math.ceil(TARGET_GROUPS / blocks),
      Math.floor(p.k / (spl * MIN_K_PER_INVOCATION)),
      ctx.limits.maxWorkgroupsPerDimension,
    ),
  );
  const kChunk = Math.ceil(p.k / splits);
  const count = p.batch * p.m * p.n;
  const out = ctx.alloc(count * splits, 'float32');
  ctx.run({
    key: sg
      ? `matmul.small.sg.${wg}.${cb}.${swap}.${p.transA}.${p.transB}`
      : `matmul.small.${cb}.${spl}.${swap}.${p.transA}.${p.transB}.${kFast}`,
    code: () =>
      sg
        ? smallSubgroupCode(wg, cb, swap, p.transA, p.transB)
        : smallCode(cb, spl, swap, p.transA, p.transB, kFast),
    inputs: [a, b],
    outputs: [out],
    uniforms: new Uint32Array([
      p.m,
      p.n,
      p.k,
      p.batch,
      p.aBatchStride,
      p.bBatchStride,
      cols,
      rows,
      kChunk,
    ]).buffer,
    workgroups: [
      Math.ceil(cols / cb),
      splits,
      Math.min(p.batch, ctx.limits.maxWorkgroupsPerDimension),
    ],
  });
  if (splits === 1) return out;
  const summed = reduce(ctx, 'sum', out, 'float32', 1, splits, count);
  ctx.release(out);
  return summed;
}

function pow2Floor(x: number): number {
  return 2 ** Math.floor(Math.log2(Math.max(1, x)));
}

function smallCode(
  cb: number,
  spl: number,
  swap: boolean,
  transA: boolean,
  transB: boolean,
  kFast: boolean,
): string {
  // Element (r, k) of op(A) and (k, c) of op(B) in the original operands.
  const aAt = (r: string, k: string) => (transA ? `${k} * P.M + ${r}` : `${r} * P.K + ${k}`);
  const bAt = (k: string, c: string) => (transB ? `${c} * P.K + ${k}` : `${k} * P.N + ${c}`);
  // X is the small operand (rows × K), Y the long one (K × cols).
  const x = swap
    ? (r: string) => `B[bb + ${bAt('k', r)}]`
    : (r: string) => `A[ab + ${aAt(r, 'k')}]`;
  const y = swap ? `A[ab + ${aAt('c', 'k')}]` : `B[bb + ${bAt('k', 'c')}]`;
  const outAt = swap ? 'cc * P.N + r' : 'r * P.N + cc';
  const S = SMALL_SIDE;
  const accs = Array.from({ length: S }, (_, r) => `var acc${r} = 0.0;`).join(' ');
  // Rows past P.rows are skipped by a uniform branch (never read out of bounds).
  const fmas = Array.from(
    { length: S },
    (_, r) =>
      `${r > 0 ? `if (P.rows > ${r}u) { ` : ''}acc${r} = fma(${x(`${r}u`)}, yv, acc${r});${r > 0 ? ' }' : ''}`,
  ).join('\n          ');
  const stash = Array.from(
    { length: S },
    (_, r) => `red[(sp * CB + cl) * S + ${r}u] = acc${r};`,
  ).join(' ');
  return `@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
struct Params { M: u32, N: u32, K: u32, batch: u32, aBS: u32, bBS: u32, cols: u32, rows: u32, kChunk: u32 }
@group(0) @binding(3) var<uniform> P: Params;
const S = ${S}u; const CB = ${cb}u; const SPL = ${spl}u;
var<workgroup> red: array<f32, ${cb * spl * S}>;
@compute @workgroup_size(${cb * spl})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let cl = ${kFast ? 'li / SPL' : 'li % CB'};
  let sp = ${kFast ? 'li % SPL' : 'li / CB'};
  let k0 = wid.y * P.kChunk;
  let k1 = min(P.K, k0 + P.kChunk);
  for (var bi = wid.z; bi < P.batch; bi += nwg.z) {
    let ab = bi * P.aBS;
    let bb = bi * P.bBS;
    let c = wid.x * CB + cl;
    ${accs}
    if (c < P.cols) {
      for (var k = k0 + sp; k < k1; k += SPL) {
        let yv = ${y};
        ${fmas}
      }
    }
    ${stash}
    workgroupBarrier();
    // A workgroup smaller than CB·S outputs (CB = 64 on devices limited to
    // 128 invocations) loops, so every output is written.
    for (var o = li; o < CB * S; o += CB * SPL) {
      let c2 = o / S;
      let r = o % S;
      var s = 0.0;
      for (var q = 0u; q < SPL; q++) { s += red[(q * CB + c2) * S + r]; }
      let cc = wid.x * CB + c2;
      if (cc < P.cols && r < P.rows) {
        C[(wid.y * P.batch + bi) * P.M * P.N + ${outAt}] = s;
      }
    }
    workgroupBarrier();
  }
}
`;
}
