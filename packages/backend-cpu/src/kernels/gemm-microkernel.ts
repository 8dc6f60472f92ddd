/**
 * The register-tiled micro-kernel of the blocked matmul.
 *
 * It multiplies one packed MR×kc panel of A by one packed kc×NR panel of B,
 * keeping the 4×4 block of C in sixteen local variables so the inner loop does
 * 8 loads for 32 flops. Products accumulate in float64 (JS numbers); C is
 * rounded to float32 once per k-block.
 */

export const MR = 4;
export const NR = 4;

/**
 * C[ci + r*ldc + j] (+)= Σ_p Ap[ai + p*MR + r] * Bp[bi + p*NR + j] for r < mr, j < nr.
 * The panels are zero-padded to MR and NR, so only the write-back looks at mr/nr.
 */
export function microKernel(
  kc: number,
  ap: Float64Array,
  ai: number,
  bp: Float64Array,
  bi: number,
  c: Float32Array,
  ci: number,
  ldc: number,
  mr: number,
  nr: number,
  accumulate: boolean,
): void {
  let c00 = 0;
  let c01 = 0;
  let c02 = 0;
  let c03 = 0;
  let c10 = 0;
  let c11 = 0;
  let c12 = 0;
  let c13 = 0;
  let c20 = 0;
  let c21 = 0;
  let c22 = 0;
  let c23 = 0;
  let c30 = 0;
  let c31 = 0;
  let c32 = 0;
  let c33 = 0;
  for (let p = 0; p < kc; p++, ai += MR, bi += NR) {
    const a0 = ap[ai];
    const a1 = ap[ai + 1];
    const a2 = ap[ai + 2];
    const a3 = ap[ai + 3];
    const b0 = bp[bi];
    const b1 = bp[bi + 1];
    const b2 = bp[bi + 2];
    const b3 = bp[bi + 3];
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c23 += a2 * b3;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    c33 += a3 * b3;
  }
  if (mr === MR && nr === NR) {
    if (accumulate) {
      let r = ci;
      c[r] += c00;
      c[r + 1] += c01;
      c[r + 2] += c02;
      c[r + 3] += c03;
      r += ldc;
      c[r] += c10;
      c[r + 1] += c11;
      c[r + 2] += c12;
      c[r + 3] += c13;
      r += ldc;
      c[r] += c20;
      c[r + 1] += c21;
      c[r + 2] += c22;
      c[r + 3] += c23;
      r += ldc;
      c[r] += c30;
      c[r + 1] += c31;
      c[r + 2] += c32;
      c[r + 3] += c33;
    } else {
      let r = ci;
      c[r] = c00;
      c[r + 1] = c01;
      c[r + 2] = c02;
      c[r + 3] = c03;
      r += ldc;
      c[r] = c10;
      c[r + 1] = c11;
      c[r + 2] = c12;
      c[r + 3] = c13;
      r += ldc;
      c[r] = c20;
      c[r + 1] = c21;
      c[r + 2] = c22;
      c[r + 3] = c23;
      r += ldc;
      c[r] = c30;
      c[r + 1] = c31;
      c[r + 2] = c32;
      c[r + 3] = c33;
    }
    return;
  }
  // Edge tile: spill to a small buffer and write only the valid corner.
  const t = EDGE;
  t[0] = c00;
  t[1] = c01;
  t[2] = c02;
  t[3] = c03;
  t[4] = c10;
  t[5] = c11;
  t[6] = c12;
  t[7] = c13;
  t[8] = c20;
  t[9] = c21;
  t[10] = c22;
  t[11] = c23;
  t[12] = c30;
  t[13] = c31;
  t[14] = c32;
  t[15] = c33;
  for (let r = 0; r < mr; r++) {
    const row = ci + r * ldc;
    for (let j = 0; j < nr; j++) {
      c[row + j] = accumulate ? c[row + j] + t[r * NR + j] : t[r * NR + j];
    }
  }
}

const EDGE = new Float64Array(MR * NR);
