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
/** 64×64 tiles, 4×4 per invocation. */
const MEDIUM: GemmTiling = { tx: 16, ty: 16, rm: 4, rn: 4, tk: 16, pipelined: true };
/** 32×32 tiles on 64 invocations: small products, or devices limited to < 256 invocations. */
const SMALL: GemmTiling = { tx: 8, ty: 8, rm: 4, rn: 4, tk: 16, pipelined: false };

/** Workgroups below which the device is considered underfilled (split-k, smaller tiles). */
const FILL = 96;
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

function pickTiling(ctx: GpuContext, o: GemmOperands): GemmTiling {
  if (ctx.limits.maxWorkgroupSize < 256) return SMALL;
  if (o.m >= 256 && o.n >= 256 && tiles(o, LARGE) >= FILL) return LARGE;
  return tiles(o, MEDIUM) >= FILL / 4 ? MEDIUM : SMALL;
}

/** The tilings gemm chooses from (exported for tests that force one). */
export const TILINGS = { LARGE, MEDIUM, SMALL } as const;

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
  } else if (groups < FILL && o.k >= 2 * MIN_SPLIT_K) {
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
  const [aR, aK] = o.aRowFastest ? ['e % BM', 'e / BM'] : ['e / TK', 'e % TK'];
  const [bK, bC] = o.bColFastest ? ['e / BN', 'e % BN'] : ['e % TK', 'e / TK'];
  const fma: string[] = [];
  for (let i = 0; i < rm; i++) fma.push(`let a${i} = As[kk * BM + ${i * ty}u + ly];`);
  for (let j = 0; j < rn4; j++) fma.push(`let b${j} = Bs[kk * BN4 + ${j * tx}u + lx];`);
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
          let e = li + q * NT; let r = ${aR}; let kk = ${aK};
          var v = 0.0;
          if (row0 + r < P.M && kt + kk < k1) { v = loadA(b, row0 + r, kt + kk); }
          ga[q] = v;
        }
        for (var q = 0u; q < LB; q++) {
          let e = li + q * NT; let kk = ${bK}; let c = ${bC};
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
        let e = li + q * NT;
        As[(${aK}) * BM + ${aR}] = ga[q];
      }
      for (var q = 0u; q < LB; q++) {
        let e = li + q * NT; let c = ${bC};
        Bs[(${bK}) * BN4 + c / 4u][c % 4u] = gb[q];
      }
      workgroupBarrier();
      kt += TK;
    }
`
    : `    for (var kt = k0; kt < k1; kt += TK) {
      for (var q = 0u; q < LA; q++) {
        let e = li + q * NT; let r = ${aR}; let kk = ${aK};
        var v = 0.0;
        if (row0 + r < P.M && kt + kk < k1) { v = loadA(b, row0 + r, kt + kk); }
        As[kk * BM + r] = v;
      }
      for (var q = 0u; q < LB; q++) {
        let e = li + q * NT; let kk = ${bK}; let c = ${bC};
        var v = 0.0;
        if (col0 + c < P.N && kt + kk < k1) { v = loadB(b, kt + kk, col0 + c); }
        Bs[kk * BN4 + c / 4u][c % 4u] = v;
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
const TK = ${tk}u; const BM = ${bm}u; const BN = ${bn}u; const BN4 = ${bn / 4}u; const NT = ${nt}u;
const LA = ${(bm * tk) / nt}u; const LB = ${(bn * tk) / nt}u;
var<workgroup> As: array<f32, ${tk * bm}>;
var<workgroup> Bs: array<vec4<f32>, ${(tk * bn) / 4}>;
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
