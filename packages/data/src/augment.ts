/**
 * Data augmentation for image batches [N, C, H, W], as DataLoader
 * transforms: random crops from a zero-padded image (the CIFAR recipe:
 * pad 4, crop back to the size) and random horizontal flips. Seeded by
 * (seed, epoch, batch), so a run is reproducible and a resumed one draws
 * the same crops. The pixels are moved on the host: the batch must be on a
 * backend that reads synchronously (the CPU).
 */
import { Generator, NerveError, tensor } from '@nerve/core';
import type { BatchTransform } from './dataloader.js';

/** Options of randomCropFlip. */
export interface RandomCropFlipOptions {
  /** Zero padding on every side before a crop of the original size (default 0: no crop). */
  padding?: number;
  /** Flip each image left–right with probability ½ (default false). */
  flip?: boolean;
  /** Seed of the draws (default 0). */
  seed?: number;
}

/**
 * A DataLoader transform that crops each image of the batch's first tensor
 * at a random offset from its zero-padded copy and flips it with
 * probability ½; the other tensors (labels) pass unchanged.
 */
export function randomCropFlip(opts: RandomCropFlipOptions = {}): BatchTransform {
  const op = 'randomCropFlip';
  const { padding = 0, flip = false, seed = 0 } = opts;
  if (!Number.isInteger(padding) || padding < 0 || padding > 64) {
    throw new NerveError(op, 'padding an integer in [0, 64]', String(padding));
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new NerveError(op, 'seed a non-negative integer', String(seed));
  }
  return (batch, at) => {
    const [x, ...rest] = batch;
    if (x.rank !== 4) {
      throw new NerveError(
        op,
        'images [N, C, H, W] as the batch’s first tensor',
        `[${x.shape.join(', ')}]`,
      );
    }
    const [n, c, h, w] = x.shape;
    const src = x.dataSync() as Float32Array;
    const out = new Float32Array(src.length);
    // One generator per batch: the draws depend only on (seed, epoch, batch).
    const g = new Generator((seed * 1_000_003 + at.epoch * 65_537 + at.batch) >>> 0);
    const draws = g.uniform(3 * n);
    const span = 2 * padding + 1;
    for (let i = 0; i < n; i++) {
      const dy = Math.min(Math.floor(draws[3 * i] * span), span - 1) - padding;
      const dx = Math.min(Math.floor(draws[3 * i + 1] * span), span - 1) - padding;
      const mirror = flip && draws[3 * i + 2] < 0.5;
      for (let ch = 0; ch < c; ch++) {
        const base = (i * c + ch) * h * w;
        for (let y = 0; y < h; y++) {
          const sy = y + dy;
          if (sy < 0 || sy >= h) continue;
          for (let xo = 0; xo < w; xo++) {
            const sx = (mirror ? w - 1 - xo : xo) + dx;
            if (sx < 0 || sx >= w) continue;
            out[base + y * w + xo] = src[base + sy * w + sx];
          }
        }
      }
    }
    x.dispose();
    return [tensor(out, { shape: [n, c, h, w] }), ...rest];
  };
}
