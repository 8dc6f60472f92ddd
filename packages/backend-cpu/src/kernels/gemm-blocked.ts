/**
 * Cache-blocked single-precision matrix product, C (+)= op(A) · op(B).
 *
 * The loop nest follows Goto & van de Geijn ("Anatomy of high-performance
 * matrix multiplication", 2008): B is packed in kc×nc blocks and A in mc×kc
 * blocks into contiguous panels, so the micro-kernel streams both operands in
 * order whatever their original layout. Transposition is absorbed by the
 * packing routines; all four layouts then run the same inner kernel.
 *
 * From WASM_MIN multiply-adds on, and unless the kernel mode is 'scalar',
 * the same algorithm runs as generated WebAssembly SIMD (./wasm/, float32
 * sums); this file's JavaScript version (float64 sums) is the fallback and
 * the path for tiny products.
 */
import type { GemmArgs } from './gemm-args.js';
import { MR, microKernel, NR } from './gemm-microkernel.js';
import { gemmWasm } from '../wasm/gemm-wasm.js';
import { getWasmRuntime } from '../wasm/runtime.js';
import { zeroF32 } from '../heap.js';
import { roundUp } from '../round-up.js';

/** Depth of a packed block: the kc×(MR+NR) doubles a micro-kernel streams (16 KiB) fit L1. */
const KC = 256;
/** Rows of A per block: the packed mc×kc A block (256 KiB) stays in L2 across B panels. */
const MC = 128;
/** Columns of B per block: the packed kc×nc B block (1 MiB) stays in L2/L3 across A blocks. */
const NC = 512;
/** Below this many multiply-adds, packing costs more than it saves. */
const SMALL = 16 * 16 * 16;
/**
 * From this many multiply-adds (m·n·k) on, the wasm kernels run (when the
 * mode allows). Measured (scripts/switch-point.ts, relaxed, per call): the
 * wasm call costs ~0.5 µs fixed, so JS wins up to ~6³ (0.4 vs 0.7 µs) and
 * 1×16·16×16; wasm wins from ~12³ (1.2 vs 2.8 µs for TN/NT), 1×32·32×32
 * (0.9 vs 1.5 µs), and on every thin-k (64×k·k×64, k ≥ 1) and thin-n
 * (128×128·128×n, n ≥ 1) shape tried. README has the table.
 */
export const WASM_MIN = 2048;

/**
 * Packing buffers, grown on demand and reused across calls. They hold float64
 * so the micro-kernel loads doubles directly instead of converting every
 * float32 it reads (measured ~5-10% faster; packing converts each value once).
 */
export class GemmScratch {
  a = new Float64Array(0);
  b = new Float64Array(0);

  ensure(aSize: number, bSize: number): void {
    if (this.a.length < aSize) this.a = new Float64Array(aSize);
    if (this.b.length < bSize) this.b = new Float64Array(bSize);
  }
}

export type { GemmArgs };

export function gemm(g: GemmArgs, scratch: GemmScratch): void {
  const { m, n, k, a, b, c, cOff } = g;
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!g.accumulate) zeroF32(c, cOff, cOff + m * n);
    return;
  }
  // Logical A is m×k, B is k×n; strides express the stored layout.
  const aRs = g.transA ? 1 : k;
  const aCs = g.transA ? m : 1;
  const bRs = g.transB ? 1 : n;
  const bCs = g.transB ? k : 1;
  if (m * n * k <= SMALL) {
    gemmSmall(g, aRs, aCs, bRs, bCs);
    return;
  }
  if (m * n * k >= WASM_MIN) {
    const rt = getWasmRuntime();
    if (rt) {
      gemmWasm(g, rt);
      return;
    }
  }
  const kcMax = Math.min(KC, k);
  scratch.ensure(roundUp(Math.min(MC, m), MR) * kcMax, roundUp(Math.min(NC, n), NR) * kcMax);
  const ap = scratch.a;
  const bp = scratch.b;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packB(b, g.bOff + pc * bRs + jc * bCs, bRs, bCs, kc, nc, bp);
      const acc = g.accumulate || pc > 0;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packA(a, g.aOff + ic * aRs + pc * aCs, aRs, aCs, mc, kc, ap);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          const bi = jr * kc;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            const ci = cOff + (ic + ir) * n + jc + jr;
            microKernel(kc, ap, ir * kc, bp, bi, c, ci, n, mr, nr, acc);
          }
        }
      }
    }
  }
}

/** Unblocked product for tiny matrices: one float64 dot product per output. */
function gemmSmall(g: GemmArgs, aRs: number, aCs: number, bRs: number, bCs: number): void {
  const { m, n, k, a, b, c } = g;
  for (let i = 0; i < m; i++) {
    const ai = g.aOff + i * aRs;
    const ci = g.cOff + i * n;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0, x = ai, y = g.bOff + j * bCs; p < k; p++, x += aCs, y += bRs)
        s += a[x] * b[y];
      c[ci + j] = g.accumulate ? c[ci + j] + s : s;
    }
  }
}

/**
 * Packs rows [0, mc) × cols [0, kc) of A (element (i, p) at src[off + i*rs + p*cs])
 * into MR-row panels: dst[(i/MR)*kc*MR + p*MR + i%MR], zero-padding the last panel.
 * Walking p outermost reads MR short streams, which is cache-friendly for both
 * layouts (rows of A when plain, runs of MR adjacent floats when transposed).
 */
function packA(
  src: Float32Array,
  off: number,
  rs: number,
  cs: number,
  mc: number,
  kc: number,
  dst: Float64Array,
): void {
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const rows = Math.min(MR, mc - i0);
    let d = i0 * kc;
    let s = off + i0 * rs;
    if (rows === MR) {
      const rs2 = 2 * rs;
      const rs3 = 3 * rs;
      for (let p = 0; p < kc; p++, d += MR, s += cs) {
        dst[d] = src[s];
        dst[d + 1] = src[s + rs];
        dst[d + 2] = src[s + rs2];
        dst[d + 3] = src[s + rs3];
      }
    } else {
      for (let p = 0; p < kc; p++, d += MR, s += cs) {
        for (let r = 0; r < MR; r++) dst[d + r] = r < rows ? src[s + r * rs] : 0;
      }
    }
  }
}

/**
 * Packs rows [0, kc) × cols [0, nc) of B (element (p, j) at src[off + p*rs + j*cs])
 * into NR-column panels: dst[(j/NR)*kc*NR + p*NR + j%NR], zero-padding the last panel.
 */
function packB(
  src: Float32Array,
  off: number,
  rs: number,
  cs: number,
  kc: number,
  nc: number,
  dst: Float64Array,
): void {
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const cols = Math.min(NR, nc - j0);
    let d = j0 * kc;
    let s = off + j0 * cs;
    if (cols === NR) {
      const cs2 = 2 * cs;
      const cs3 = 3 * cs;
      for (let p = 0; p < kc; p++, d += NR, s += rs) {
        dst[d] = src[s];
        dst[d + 1] = src[s + cs];
        dst[d + 2] = src[s + cs2];
        dst[d + 3] = src[s + cs3];
      }
    } else {
      for (let p = 0; p < kc; p++, d += NR, s += rs) {
        for (let j = 0; j < NR; j++) dst[d + j] = j < cols ? src[s + j * cs] : 0;
      }
    }
  }
}
