/**
 * A tiled, register-blocked GEMM generator: C[b] = A[b] · B[b] with C
 * contiguous [batch, M, N], where A and B are read through WGSL loader
 * functions. Plain matmul passes strided loaders; the convolutions pass
 * loaders that compute im2col / col2im addresses on the fly (implicit GEMM),
 * so no column matrix is ever materialised.
 *
 * Each workgroup of TX×TY invocations owns a BM×BN tile of C (BM = TY·RM,
 * BN = TX·RN) and walks K in steps of TK, staging A and B sub-tiles in
 * workgroup memory; each invocation accumulates an RM×RN block in registers
 * (Volkov & Demmel 2008, "Benchmarking GPUs to tune dense linear algebra").
 * Rows of the block are interleaved (ly + i·TY) and columns come in vec4
 * groups ((lx + j·TX)·4), so shared-memory reads are conflict-free and
 * 128-bit wide. When the tiles alone cannot fill the device and K is long,
 * K is split across workgroups (split-k) into partial products that a
 * deterministic sum (reduce.ts) adds up.
 *
 * Measured float32 on an H200 through Dawn/Vulkan: 4096³ 27–29 TFLOP/s for
 * every transpose combination (cuBLAS without TF32: 51 in the same run),
 * 8192×768×3072 27, 128×4096×4096 16.5, 64×100352×576 (split-k) 11–13.
 */
import type { GpuContext, GpuData } from '../context.js';
import { reduce } from './reduce.js';

/** Tile geometry of one pipeline. */
export interface GemmTiling {
  tx: number;
  ty: number;
  rm: number;
  /** Columns per invocation; a multiple of 4 (vec4 accumulators). */
  rn: number;
  tk: number;
  /** Prefetch the next tile into registers during the arithmetic (see gemmCode). */
  pipelined: boolean;
}

/** 128×128 tiles, 8×8 per invocation: large products. */
const LARGE: GemmTiling = { tx: 16, ty: 16, rm: 8, rn: 8, tk: 8, pipelined: true };
/** 64×128 tiles, 4×8 per invocation: mid-sized products. */
const TALL: GemmTiling = { tx: 16, ty: 16, rm: 4, rn: 8, tk: 16, pipelined: true };
/** 64×64 tiles, 4×4 per invocation. */
const MEDIUM: GemmTiling = { tx: 16, ty: 16, rm: 4, rn: 4, tk: 16, pipelined: true };
/** 4×256 tiles: very few rows (a convolution's input gradient over 3 channels, say). */
const WIDE4: GemmTiling = { tx: 64, ty: 4, rm: 1, rn: 4, tk: 8, pipelined: true };
/** 16×128 tiles: few rows. */
const WIDE16: GemmTiling = { tx: 32, ty: 8, rm: 2, rn: 4, tk: 8, pipelined: true };
/**
 * 32×32 tiles on 64 invocations, not pipelined (a smaller shader, which
 * software adapters compile several times faster): small products, and
 * devices limited to fewer than 256 invocations.
 */
const SMALL: GemmTiling = { tx: 8, ty: 8, rm: 4, rn: 4, tk: 16, pipelined: false };

/**
 * Workgroups that fill a large GPU (an H100/H200 has 132 SMs; measured there:
 * split-k up to ~4 workgroups per SM kept paying off for a 64×576 output
 * with K = 100352, from 2.5 to 12 TFLOP/s).
 */
const FILL = 512;
/** Tiles below which K is split across workgroups. */
const SPLIT_BELOW = 128;
/** Shortest K chunk worth a split-k workgroup of its own. */
const MIN_SPLIT_K = 256;
/** Most partial products split-k allocates, in elements (keeps scratch bounded). */
const MAX_PARTIAL = 1 << 24;

/** A uniform field appended to the GEMM's Params struct, readable as `P.<name>` in loaders. */
export type GemmField = readonly [name: string, type: 'u32' | 'i32', value: number];

/** What a caller supplies: operands, loaders and sizes. */
export interface GemmOperands {
  /** Pipeline-key part that names the loaders (everything `wgsl` depends on besides the tiling). */
  key: string;
  /** Bound at bindings 0..k-1; C follows at k, then the uniforms at k+1. */
  inputs: GpuData[];
  /**
   * WGSL with the inputs' bindings and two loaders, called only in bounds:
   * `fn loadA(b: u32, r: u32, k: u32) -> f32` (row r < M, k < K) and
   * `fn loadB(b: u32, k: u32, c: u32) -> f32` (k < K, column c < N).
   */
  wgsl: () => string;
  fields: readonly GemmField[];
  /** Consecutive rows of A are adjacent in memory (else consecutive k are): picks a coalesced load order. */
  aRowFastest: boolean;
  /** Consecutive columns of B are adjacent in memory (else consecutive k are). */
  bColFastest: boolean;
  batch: number;
  m: number;
  n: number;
  k: number;
}

const tiles = (o: GemmOperands, t: GemmTiling) =>
  Math.ceil(o.m / (t.ty * t.rm)) * Math.ceil(o.n / (t.tx * t.rn)) * o.batch;

/**
 * Largest tiles that still give the device enough workgroups (thresholds from
 * float32 runs on an H200: 128×128 wins from 2048³ up, 64×128 at 1024³).
 */
function pickTiling(ctx: GpuContext, o: GemmOperands): GemmTiling {
  if (ctx.limits.maxWorkgroupSize < 256) return SMALL;
  if (o.m <= 4) return WIDE4;
  if (o.m <= 16) return WIDE16;
  if (tiles(o, LARGE) >= 256) return LARGE;
  if (tiles(o, TALL) >= 128) return TALL;
  if (tiles(o, MEDIUM) >= 32) return MEDIUM;
  return SMALL;
}

/** The tilings gemm chooses from (exported for tests that force one). */
export const TILINGS = { LARGE, TALL, MEDIUM, WIDE4, WIDE16, SMALL } as const;

/** Overrides of gemm's own choices, for tests. */
export interface GemmForce {
  tiling?: GemmTiling;
  splits?: number;
}

/** Runs the GEMM; returns a new contiguous [batch, M, N] float32 buffer. */
export function gemm(ctx: GpuContext, o: GemmOperands, force: GemmForce = {}): GpuData {
  const t = force.tiling ?? pickTiling(ctx, o);
  const count = o.batch * o.m * o.n;
  if (count === 0) return ctx.alloc(0, 'float32');
  const groups = tiles(o, t);
  let splits = 1;
  if (force.splits !== undefined) {
    splits = force.splits;
  } else if (groups < SPLIT_BELOW && o.k >= 2 * MIN_SPLIT_K) {
    splits = Math.min(
      Math.ceil(FILL / groups),
      Math.floor(o.k / MIN_SPLIT_K),
      Math.max(1, Math.floor(MAX_PARTIAL / Math.max(1, count))),
    );
  }
  // k = 0 runs one split whose loop is empty: the tile stores zeros.
  const kChunk = Math.max(t.tk, Math.ceil(Math.ceil(o.k / splits) / t.tk) * t.tk);
  splits = Math.max(1, Math.ceil(o.k / kChunk));
  const out = ctx.alloc(count * splits, 'float32');
  const words = [o.m, o.n, o.k, o.batch, splits, kChunk];
  const fields = o.fields;
  const buf = new ArrayBuffer((words.length + fields.length) * 4);
  const u = new Uint32Array(buf);
  const s = new Int32Array(buf);
  words.forEach((v, i) => {
    u[i] = v;
  });
  fields.forEach(([, type, v], i) => {
    if (type === 'i32') s[words.length + i] = v;
    else u[words.length + i] = v;
  });
  const z = Math.min(o.batch * splits, ctx.limits.maxWorkgroupsPerDimension);
  ctx.run({
    key: `gemm.${o.key}.${t.tx}x${t.ty}.${t.rm}x${t.rn}.${t.tk}.${t.pipelined}.${o.aRowFastest}.${o.bColFastest}`,
    code: () => gemmCode(o, t),
    inputs: o.inputs,
    outputs: [out],
    uniforms: buf,
    workgroups: [Math.ceil(o.n / (t.tx * t.rn)), Math.ceil(o.m / (t.ty * t.rm)), z],
  });
  if (splits === 1) return out;
  const summed = reduce(ctx, 'sum', out, 'float32', 1, splits, count);
  ctx.release(out);
  return summed;
}

function gemmCode(o: GemmOperands, t: GemmTiling): string {
  const { tx, ty, rm, rn, tk } = t;
  const bm = ty * rm;
  const bn = tx * rn;
  const nt = tx * ty;
  const rn4 = rn / 4;
  const ob = o.inputs.length;
  const fields = o.fields.map(([name, type]) => `, ${name}: ${type}`).join('');
  // Element q of this invocation's share of a tile: e = li + q·NT, split into
  // (row, k) or (k, column) with the memory-contiguous index varying fastest.
  // Tiles with fewer elements than invocations (WIDE4's A) stop early.
  const aGuard = (bm * tk) % nt === 0 ? '' : ' if (e >= BM * TK) { break; }';
  const bGuard = (bn * tk) % nt === 0 ? '' : ' if (e >= BN * TK) { break; }';
  // Row strides of the shared tiles. When the global reads run along k,
  // consecutive invocations store to consecutive tile rows; padding each row
  // (one float for A, one vec4 for B) spreads those stores over the banks.
  const as = o.aRowFastest ? bm : bm + 1;
  const bs4 = o.bColFastest ? bn / 4 : bn / 4 + 1;
  const [aR, aK] = o.aRowFastest ? ['e % BM', 'e / BM'] : ['e / TK', 'e % TK'];
  const [bK, bC] = o.bColFastest ? ['e / BN', 'e % BN'] : ['e % TK', 'e / TK'];
  const fma: string[] = [];
  for (let i = 0; i < rm; i++) fma.push(`let a${i} = As[kk * AS + ${i * ty}u + ly];`);
  for (let j = 0; j < rn4; j++) fma.push(`let b${j} = Bs[kk * BS4 + ${j * tx}u + lx];`);
  for (let i = 0; i < rm; i++) {
    for (let j = 0; j < rn4; j++) {
      const a = `acc[${i * rn4 + j}]`;
      fma.push(`${a} = fma(vec4<f32>(a${i}), b${j}, ${a});`);
    }
  }
  const store: string[] = [];
  for (let i = 0; i < rm; i++) {
    store.push(`{ let r = row0 + ly + ${i * ty}u; if (r < P.M) {`);
    for (let j = 0; j < rn4; j++) {
      store.push(`  { let c = col0 + (lx + ${j * tx}u) * 4u; let v = acc[${i * rn4 + j}];
    for (var q = 0u; q < 4u; q++) { if (c + q < P.N) { C[cBase + r * P.N + c + q] = v[q]; } } }`);
    }
    store.push('} }');
  }
  // Pipelined: the loads of tile t+1 (global → registers) are issued before
  // the arithmetic on tile t (in workgroup memory), so their latency hides
  // behind the FMAs. Simple: load, barrier, compute, barrier; a smaller
  // shader, which software rasterisers compile several times faster.
  const body = t.pipelined
    ? `    var ga: array<f32, LA>;
    var gb: array<f32, LB>;
    var kt = k0;
    loop {
      if (kt < k1) {
        for (var q = 0u; q < LA; q++) {
          let e = li + q * NT;${aGuard} let r = ${aR}; let kk = ${aK};
          var v = 0.0;
          if (row0 + r < P.M && kt + kk < k1) { v = loadA(b, row0 + r, kt + kk); }
          ga[q] = v;
        }
        for (var q = 0u; q < LB; q++) {
          let e = li + q * NT;${bGuard} let kk = ${bK}; let c = ${bC};
          var v = 0.0;
          if (col0 + c < P.N && kt + kk < k1) { v = loadB(b, kt + kk, col0 + c); }
          gb[q] = v;
        }
      }
      if (kt > k0) {
        for (var kk = 0u; kk < TK; kk++) {
          ${fma.join('\n          ')}
        }
      }
      if (kt >= k1) { break; }
      workgroupBarrier();
      for (var q = 0u; q < LA; q++) {
        let e = li + q * NT;${aGuard}
        As[(${aK}) * AS + ${aR}] = ga[q];
      }
      for (var q = 0u; q < LB; q++) {
        let e = li + q * NT;${bGuard} let c = ${bC};
        Bs[(${bK}) * BS4 + c / 4u][c % 4u] = gb[q];
      }
      workgroupBarrier();
      kt += TK;
    }
`
    : `    for (var kt = k0; kt < k1; kt += TK) {
      for (var q = 0u; q < LA; q++) {
        let e = li + q * NT;${aGuard} let r = ${aR}; let kk = ${aK};
        var v = 0.0;
        if (row0 + r < P.M && kt + kk < k1) { v = loadA(b, row0 + r, kt + kk); }
        As[kk * AS + r] = v;
      }
      for (var q = 0u; q < LB; q++) {
        let e = li + q * NT;${bGuard} let kk = ${bK}; let c = ${bC};
        var v = 0.0;
        if (col0 + c < P.N && kt + kk < k1) { v = loadB(b, kt + kk, col0 + c); }
        Bs[kk * BS4 + c / 4u][c % 4u] = v;
      }
      workgroupBarrier();
      for (var kk = 0u; kk < TK; kk++) {
        ${fma.join('\n        ')}
      }
      workgroupBarrier();
    }
`;
  return `${o.wgsl()}
@group(0) @binding(${ob}) var<storage, read_write> C: array<f32>;
struct Params { M: u32, N: u32, K: u32, batch: u32, splits: u32, kChunk: u32${fields} }
@group(0) @binding(${ob + 1}) var<uniform> P: Params;
const TK = ${tk}u; const BM = ${bm}u; const BN = ${bn}u; const NT = ${nt}u;
const AS = ${as}u; const BS4 = ${bs4}u;
const LA = ${Math.ceil((bm * tk) / nt)}u; const LB = ${Math.ceil((bn * tk) / nt)}u;
var<workgroup> As: array<f32, ${tk * as}>;
var<workgroup> Bs: array<vec4<f32>, ${tk * bs4}>;
@compute @workgroup_size(${tx}, ${ty})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let lx = lid.x; let ly = lid.y;
  let col0 = wid.x * BN; let row0 = wid.y * BM;
  for (var z = wid.z; z < P.batch * P.splits; z += nwg.z) {
    let b = z / P.splits;
    let split = z % P.splits;
    let k0 = split * P.kChunk;
    let k1 = min(P.K, k0 + P.kChunk);
    var acc: array<vec4<f32>, ${rm * rn4}>;
${body}    let cBase = (split * P.batch + b) * P.M * P.N;
    ${store.join('\n    ')}
  }
}
`;
}
