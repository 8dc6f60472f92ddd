/**
 * The backend's batched matmul on top of the blocked gemm.
 */
import type { MatmulParams } from '@nerve/core/backend';
import { allocF32 } from '../alloc.js';
import { gemm, type GemmScratch } from './gemm-blocked.js';

export function matmul(
  a: Float32Array,
  b: Float32Array,
  p: MatmulParams,
  scratch: GemmScratch,
): Float32Array {
  const { batch, m, n, k, transA, transB, aBatchStride, bBatchStride } = p;
  // Not zeroed: every gemm call below writes all of its C block (accumulate is
  // false; k = 0 zero-fills it in gemm), so a fill would be thrown away (issue
  // 16: 4 MB of memory.fill per 1024³ product, and a fill per small product).
  const c = allocF32(batch * m * n, true);
  if (c.length === 0) return c;
  checkExtent('a', a.length, batch, aBatchStride, m * k);
  checkExtent('b', b.length, batch, bBatchStride, k * n);
  // A stack of row-major A matrices times one shared B is a single tall
  // product (the common [batch, seq, features] · weight case): one packing of
  // B instead of one per batch entry.
  if (batch > 1 && bBatchStride === 0 && !transA && aBatchStride === m * k) {
    gemm(
      { m: batch * m, n, k, a, aOff: 0, transA, b, bOff: 0, transB, c, cOff: 0, accumulate: false },
      scratch,
    );
    return c;
  }
  for (let i = 0; i < batch; i++) {
    gemm(
      {
        m,
        n,
        k,
        a,
        aOff: i * aBatchStride,
        transA,
        b,
        bOff: i * bBatchStride,
        transB,
        c,
        cOff: i * m * n,
        accumulate: false,
      },
      scratch,
    );
  }
  return c;
}

/** A typed array read past its end yields undefined (NaN), so check up front. */
function checkExtent(
  name: string,
  length: number,
  batch: number,
  stride: number,
  matrix: number,
): void {
  if (batch === 0 || matrix === 0) return;
  const need = (batch - 1) * stride + matrix;
  if (length < need) {
    throw new Error(`matmul: operand ${name} has ${length} elements but the params read ${need}`);
  }
}
