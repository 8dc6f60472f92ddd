/**
 * randomCropFlip as a DataLoader transform: each image is its zero-padded
 * copy cropped at an offset within ±padding and flipped with probability ½;
 * the draws depend only on (seed, epoch, batch); labels pass unchanged;
 * no tensor is left alive.
 */
import '@nerve/backend-cpu';
import { memory, tensor } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { DataLoader, TensorDataset, randomCropFlip } from '../src/index.js';

/** Images whose pixel (c, y, x) of image i is 1000·i + 100·c + 10·y + x + 1 (never 0). */
function numbered(n: number, c: number, h: number, w: number) {
  const v = new Float32Array(n * c * h * w);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          v[((i * c + ch) * h + y) * w + x] = 1000 * i + 100 * ch + 10 * y + x + 1;
  return tensor(v, { shape: [n, c, h, w] });
}

/** The (dy, dx, flipped) that turns image `src` into `out`, or null if none within ±p does. */
function explain(src: number[][], out: number[][], p: number): [number, number, boolean] | null {
  const h = src.length;
  const w = src[0].length;
  for (const flipped of [false, true])
    for (let dy = -p; dy <= p; dy++)
      for (let dx = -p; dx <= p; dx++) {
        let ok = true;
        for (let y = 0; y < h && ok; y++)
          for (let x = 0; x < w && ok; x++) {
            const sy = y + dy;
            const sx = (flipped ? w - 1 - x : x) + dx;
            const want = sy < 0 || sy >= h || sx < 0 || sx >= w ? 0 : src[sy][sx];
            ok = out[y][x] === want;
          }
        if (ok) return [dy, dx, flipped];
      }
  return null;
}

describe('randomCropFlip', () => {
  const n = 16;
  const x = numbered(n, 2, 5, 6);
  const y = tensor(Int32Array.from({ length: n }, (_, i) => i % 3));
  const ds = new TensorDataset(x, y);

  it('gives every image a crop within ±padding of its padded copy, flipped or not, labels untouched', () => {
    const loader = new DataLoader(ds, {
      batchSize: 8,
      transform: randomCropFlip({ padding: 2, flip: true, seed: 3 }),
    });
    const src = x.arraySync() as number[][][][];
    const seen = new Set<string>();
    let i = 0;
    for (const [bx, by] of loader) {
      const out = bx.arraySync() as number[][][][];
      expect([...(by.dataSync() as Int32Array)]).toEqual(
        Array.from({ length: 8 }, (_, k) => (i + k) % 3),
      );
      for (const img of out) {
        // Both channels moved the same way.
        const e0 = explain(src[i][0], img[0], 2);
        const e1 = explain(src[i][1], img[1], 2);
        expect(e0, `image ${i}`).not.toBeNull();
        expect(e1).toEqual(e0);
        seen.add(JSON.stringify(e0));
        i++;
      }
      bx.dispose();
      by.dispose();
    }
    // 16 draws of 5 × 5 × 2 = 50 outcomes: more than one is all but certain (a
    // transform that ignored its draws would give one).
    expect(seen.size).toBeGreaterThan(4);
  });

  it('draws the same for the same (seed, epoch, batch) and differently for another epoch', () => {
    const take = (seed: number, epochs: number) => {
      const loader = new DataLoader(ds, {
        batchSize: 16,
        transform: randomCropFlip({ padding: 3, flip: true, seed }),
      });
      let last: number[] = [];
      for (let e = 0; e < epochs; e++) {
        for (const [bx, by] of loader) {
          last = [...(bx.dataSync() as Float32Array)];
          bx.dispose();
          by.dispose();
        }
      }
      return last;
    };
    expect(take(5, 1)).toEqual(take(5, 1));
    expect(take(5, 2)).not.toEqual(take(5, 1));
    expect(take(6, 1)).not.toEqual(take(5, 1));
  });

  it('is the identity with no padding and no flip, and frees what it replaces', () => {
    const before = memory().numTensors;
    const loader = new DataLoader(ds, { batchSize: 16, transform: randomCropFlip() });
    for (const [bx, by] of loader) {
      expect([...(bx.dataSync() as Float32Array)]).toEqual([...(x.dataSync() as Float32Array)]);
      bx.dispose();
      by.dispose();
    }
    expect(memory().numTensors).toBe(before);
  });

  it('refuses bad options and non-image batches, naming itself', () => {
    expect(() => randomCropFlip({ padding: -1 })).toThrow(
      /randomCropFlip: expected padding an integer in \[0, 64\]/,
    );
    const flat = new TensorDataset(
      tensor(new Float32Array(12), { shape: [3, 4] }),
      tensor(Int32Array.from([0, 1, 2])),
    );
    const loader = new DataLoader(flat, { transform: randomCropFlip({ flip: true }) });
    expect(() => [...loader]).toThrow(/randomCropFlip: expected images \[N, C, H, W\]/);
    expect(() => new DataLoader(flat, { transform: 3 as never })).toThrow(
      /DataLoader: expected transform a function/,
    );
  });
});
