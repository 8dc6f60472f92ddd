/**
 * The small-side matmul (see matmul-small.ts) with the k-reduction done by
 * `subgroupAdd` instead of workgroup memory and a barrier: one subgroup
 * computes one output column (all ≤ 4 rows of it) at a time, its lanes walk
 * K with a stride of the subgroup's width and add their partial sums in
 * registers. Used when the adapter has the `subgroups` feature and the long
 * operand's K axis is contiguous (so a subgroup's loads are coalesced).
 *
 * WebGPU fixes neither the subgroup size (any power of two from 4 to 128;
 * lavapipe 8, NVIDIA 32), nor which invocations of a workgroup form a
 * subgroup, nor that every subgroup is full. So nothing here assumes them:
 * a subgroup numbers its active lanes itself (`subgroupExclusiveAdd(1)`,
 * width `subgroupAdd(1)`) and takes columns from a workgroup-memory counter
 * (one atomic per column, by the elected lane), which balances any number
 * of subgroups of any size over the workgroup's CB columns.
 *
 * Not measured on a GPU yet (lavapipe only checks correctness). To measure,
 * on the lent H100/H200: bench/webgpu.ts's gemv rows against its "nerve (no
 * subgroups)" column (a second device created with `subgroups: false`):
 * 1×768·768ᵀ (latency-bound), 1×4096·4096ᵀ and 4×4096·4096ᵀ (bandwidth-
 * bound: compare GB/s = 4·k·n/time with the H100's 3.35 / H200's 4.8 TB/s),
 * 1×11008·2048ᵀ (long K), 1×1024·16384ᵀ (many columns); the bench also
 * checks that both kernels give the same products there (subgroup size 32,
 * where lavapipe has 8). Keep the variant only where it wins; if it loses on short
 * K, the place to tune is `subgroupColumns` (columns per workgroup) and the
 * split heuristic in matmul-small.ts.
 *
 * The tiled GEMM (matmul-gemm.ts) has no subgroup variant on purpose: its
 * shared tiles are already read conflict-free as vec4, one shared read
 * feeds RM·RN/4 FMAs, and a shuffle costs about what a shared read does
 * on NVIDIA; a shuffle-broadcast GEMM would also need a fixed lane layout,
 * which WebGPU does not promise. Worth trying only with the profile of the
 * 4096³ kernel in hand (is it bound by shared-memory bandwidth?).
 */

/** Columns per workgroup: one per subgroup of the smallest size the adapter reported. */
export function subgroupColumns(wg: number, subgroupMinSize: number): number {
  return Math.max(1, Math.floor(wg / Math.max(4, subgroupMinSize)));
}

/** WGSL of the subgroup variant; same bindings, uniforms and dispatch as matmul-small.ts's kernel. */
export function smallSubgroupCode(
  wg: number,
  cb: number,
  swap: boolean,
  transA: boolean,
  transB: boolean,
): string {
  const aAt = (r: string, k: string) => (transA ? `${k} * P.M + ${r}` : `${r} * P.K + ${k}`);
  const bAt = (k: string, c: string) => (transB ? `${c} * P.K + ${k}` : `${k} * P.N + ${c}`);
  // X is the small operand (rows × K), Y the long one (K × cols).
  const x = swap
    ? (r: string) => `B[bb + ${bAt('k', r)}]`
    : (r: string) => `A[ab + ${aAt(r, 'k')}]`;
  const y = swap ? `A[ab + ${aAt('c', 'k')}]` : `B[bb + ${bAt('k', 'c')}]`;
  const outAt = swap ? 'c * P.N + r' : 'r * P.N + c';
  const lanes = ['x', 'y', 'z', 'w'];
  // Rows past P.rows are skipped by a uniform branch (never read out of bounds).
  const fmas = lanes
    .map(
      (l, r) =>
        `${r > 0 ? `if (P.rows > ${r}u) { ` : ''}acc.${l} = fma(${x(`${r}u`)}, yv, acc.${l});${r > 0 ? ' }' : ''}`,
    )
    .join('\n          ');
  // The column loop and subgroupAdd sit in control flow that is uniform per
  // subgroup (t comes from subgroupBroadcastFirst), which WGSL's analysis
  // cannot see; the diagnostic is switched off for that reason only.
  return `enable subgroups;
diagnostic(off, subgroup_uniformity);
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
struct Params { M: u32, N: u32, K: u32, batch: u32, aBS: u32, bBS: u32, cols: u32, rows: u32, kChunk: u32 }
@group(0) @binding(3) var<uniform> P: Params;
const CB = ${cb}u;
var<workgroup> nextTask: atomic<u32>;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let width = subgroupAdd(1u);
  let lane = subgroupExclusiveAdd(1u);
  let k0 = wid.y * P.kChunk;
  let k1 = min(P.K, k0 + P.kChunk);
  // Batches of this workgroup: wid.z, wid.z + nwg.z, … (wid.z < P.batch by the dispatch).
  let tasks = ((P.batch - wid.z + nwg.z - 1u) / nwg.z) * CB;
  loop {
    var t = 0u;
    if (subgroupElect()) { t = atomicAdd(&nextTask, 1u); }
    t = subgroupBroadcastFirst(t);
    if (t >= tasks) { break; }
    let bi = wid.z + (t / CB) * nwg.z;
    let c = wid.x * CB + t % CB;
    if (c < P.cols) {
      let ab = bi * P.aBS;
      let bb = bi * P.bBS;
      var acc = vec4<f32>();
      for (var k = k0 + lane; k < k1; k += width) {
        let yv = ${y};
        ${fmas}
      }
      let s = subgroupAdd(acc);
      if (lane == 0u) {
        for (var r = 0u; r < P.rows; r++) {
          C[(wid.y * P.batch + bi) * P.M * P.N + ${outAt}] = s[r];
        }
      }
    }
  }
}
`;
}
