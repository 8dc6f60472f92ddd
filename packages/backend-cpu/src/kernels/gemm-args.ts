/**
 * The operands of one GEMM call, shared by the JavaScript kernel
 * (gemm-blocked.ts) and the WebAssembly runner (../wasm/gemm-wasm.ts) without
 * either importing the other's module for a type.
 */

/**
 * C[m,n] (+)= op(A)·op(B) on flat arrays. A starts at aOff and is stored
 * [m,k], or [k,m] when transA; B starts at bOff and is stored [k,n], or [n,k]
 * when transB; C starts at cOff, row-major with row length n.
 */
export interface GemmArgs {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly a: Float32Array;
  readonly aOff: number;
  readonly transA: boolean;
  readonly b: Float32Array;
  readonly bOff: number;
  readonly transB: boolean;
  readonly c: Float32Array;
  readonly cOff: number;
  /** Add into C instead of overwriting it. */
  readonly accumulate: boolean;
}
