/**
 * Generated image folders for the CLI's tests: 20×20 stripes whose
 * orientation is the class (see `stripes`), written as PNG or JPEG.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Generator } from '@nerve/core';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export const KINDS = ['horizontal', 'vertical'] as const;

/**
 * A 20×20 image of stripes 2 pixels wide, horizontal or vertical, with a
 * random phase and colour and pixel noise of ±20: the orientation is the
 * class, which no colour statistic gives away, so a working CNN must find
 * the edges; one that loses the labels stays near 50%.
 */
export function stripes(kind: (typeof KINDS)[number], g: Generator) {
  const [phase, hue, ...noise] = g.uniform(2 + 20 * 20);
  const shift = Math.floor(phase * 4);
  const base = [60 + 150 * hue, 200 - 150 * hue, 120];
  const data = new Uint8Array(20 * 20 * 4);
  for (let y = 0; y < 20; y++)
    for (let x = 0; x < 20; x++) {
      const t = kind === 'horizontal' ? y : x;
      const on = Math.floor((t + shift) / 2) % 2 === 0;
      const n = (noise[y * 20 + x] - 0.5) * 40;
      for (let c = 0; c < 3; c++) {
        const v = on ? base[c] : 255 - base[c];
        data[(y * 20 + x) * 4 + c] = Math.max(0, Math.min(255, v + n));
      }
      data[(y * 20 + x) * 4 + 3] = 255;
    }
  return { width: 20, height: 20, data };
}

export function write(path: string, img: ReturnType<typeof stripes>) {
  if (path.endsWith('.png')) {
    const png = new PNG({ width: img.width, height: img.height });
    png.data = Buffer.from(img.data);
    writeFileSync(path, PNG.sync.write(png));
  } else writeFileSync(path, jpeg.encode({ ...img, data: Buffer.from(img.data) }, 95).data);
}

/** A folder of `perClass` striped images in one subfolder per orientation (PNG and JPEG alternate). */
export function stripesFolder(dir: string, perClass: number, seed: number): string {
  const g = new Generator(seed);
  for (const kind of KINDS) {
    mkdirSync(join(dir, kind), { recursive: true });
    for (let i = 0; i < perClass; i++)
      write(join(dir, kind, `${i}.${i % 2 ? 'png' : 'jpg'}`), stripes(kind, g));
  }
  return dir;
}
