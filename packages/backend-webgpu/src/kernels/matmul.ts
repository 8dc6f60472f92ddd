/**
 * Batched float32 matmul, C[b] = op(A[b]) · op(B[b]) (see MatmulParams).
 *
 * Transposition and batch strides (0 broadcasts) are absorbed by the loaders,
 * so no operand is ever copied. Products with a side ≤ 4 take the GEMV
 * kernel (matmul-small.ts); everything else the tiled GEMM (matmul-gemm.ts).
 */
import type { MatmulParams } from '@nerve/core/backend';
import type { GpuContext, GpuData } from '../context.js';
import { fillWords } from './elementwise.js';
import { type GemmOperands, gemm } from './matmul-gemm.js';
import { isSmallMatmul, matmulSmall } from './matmul-small.js';

/** Output [batch, m, n], float32. */
export function matmul(ctx: GpuContext, a: GpuData, b: GpuData, p: MatmulParams): GpuData {
  const { batch, m, n, k } = p;
  checkExtent('a', a.elements, batch, p.aBatchStride, m * k);
  checkExtent('b', b.elements, batch, p.bBatchStride, k * n);
  if (batch * m * n === 0) return ctx.alloc(0, 'float32');
  // An empty inner dimension: the product is all zeros, a fill, not a GEMM.
  if (k === 0) return fillWords(ctx, batch * m * n, 'float32', 0);
  if (isSmallMatmul(p)) return matmulSmall(ctx, a, b, p);
  return gemm(ctx, matmulOperands(a, b, p));
}

/** The tiled-GEMM operands of a plain matmul (exported so tests can force a tiling). */
export function matmulOperands(a: GpuData, b: GpuData, p: MatmulParams): GemmOperands {
  const aAt = p.transA ? 'k * P.M + r' : 'r * P.K + k';
  const bAt = p.transB ? 'c * P.K + k' : 'k * P.N + c';
  return {
    key: `matmul.${p.transA}.${p.transB}`,
    inputs: [a, b],
    wgsl: () => `@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
fn loadA(b: u32, r: u32, k: u32) -> f32 { return A[b * P.aBS + ${aAt}]; }
fn loadB(b: u32, k: u32, c: u32) -> f32 { return B[b * P.bBS + ${bAt}]; }
`,
    fields: [
      ['aBS', 'u32', p.aBatchStride],
      ['bBS', 'u32', p.bBatchStride],
    ],
    aRowFastest: p.transA,
    bColFastest: !p.transB,
    batch: p.batch,
    m: p.m,
    n: p.n,
    k: p.k,
  };
}

/** A read past a buffer's end is clamped by WebGPU, not reported, so check up front. */
function checkExtent(
  name: string,
  elements: number,
  batch: number,
  stride: number,
  matrix: number,
): void {
  if (batch === 0 || matrix === 0) return;
  const need = (batch - 1) * stride + matrix;
  if (elements < need) {
    throw new Error(`matmul: operand ${name} has ${elements} elements but the params read ${need}`);
  }
}
