/**
 * Issue 16: the ReLU gradient as one fused kernel (`reluBackward`: SIMD on
 * the wasm heap, a JavaScript tail) gives the same bits as core's fallback
 * where(le(x, 0), 0, dy): a NaN x passes dy, x = ±0 or below gives +0.
 */
import '@nerve/backend-cpu';
import { backward, mul, relu, setBackend, sum, tensor, tidy } from '@nerve/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { bits, randomF32, SPECIAL_F32, withAndWithout } from './helpers.js';

beforeAll(() => setBackend('cpu'));

const SPECIAL = [...SPECIAL_F32, 3.5, -2.25];

/** x: specials, then random values (half of them ≤ 0); dy: random with a NaN, −0 and ∞. */
function inputs(n: number): { x: Float32Array; dy: Float32Array } {
  const x = randomF32(n, 7);
  const dy = randomF32(n, 8, -4, 4);
  for (let i = 0; i < n; i++) if (i % 3 === 0) x[i] = SPECIAL[(i / 3) % SPECIAL.length];
  dy[1] = Number.NaN;
  dy[2] = -0;
  dy[4] = Number.NEGATIVE_INFINITY;
  return { x, dy };
}

/** x.grad of sum(relu(x) · dy): exactly dy pushed through the ReLU gradient. */
function reluGrad(x: Float32Array, dy: Float32Array): Float32Array {
  return tidy(() => {
    const xt = tensor(x, { shape: [x.length], requiresGrad: true });
    backward(sum(mul(relu(xt), tensor(dy, { shape: [dy.length] }))));
    return xt.grad?.dataSync() as Float32Array;
  });
}

describe('reluBackward', () => {
  // 4099: the SIMD body and a 3-element tail; 13: below the SIMD cut-off.
  for (const n of [4099, 13]) {
    it(`matches where(le(x, 0), 0, dy) bit for bit, NaN and −0 included (n = ${n})`, () => {
      const { x, dy } = inputs(n);
      const { fused, reference } = withAndWithout('reluBackward', () => reluGrad(x, dy));
      expect(bits(fused)).toEqual(bits(reference));
      // And the contract itself, element by element.
      for (let i = 0; i < n; i++) {
        const want = x[i] <= 0 ? 0 : dy[i];
        expect(Object.is(fused[i], want), `element ${i}: x ${x[i]}, dy ${dy[i]}`).toBe(true);
      }
    });
  }
});
