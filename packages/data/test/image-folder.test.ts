/**
 * Image folders (image-folder.ts): PNG and JPEG files written by the same
 * maintained codecs, one subfolder per class, resized and centre-cropped,
 * grayscale or RGB; bad folders and files named.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadImageFolder, loadImages, resizeCenterCrop } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'nerve-images-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An RGBA image filled by `rgb(x, y)`. */
function image(w: number, h: number, rgb: (x: number, y: number) => [number, number, number]) {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = rgb(x, y);
      data.set([r, g, b, 255], (y * w + x) * 4);
    }
  return { width: w, height: h, data };
}

function writePng(path: string, img: ReturnType<typeof image>) {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data);
  writeFileSync(path, PNG.sync.write(png));
}

function writeJpeg(path: string, img: ReturnType<typeof image>) {
  writeFileSync(path, jpeg.encode({ ...img, data: Buffer.from(img.data) }, 95).data);
}

describe('resizeCenterCrop', () => {
  it('averages areas when shrinking and crops the centre of the longer side', () => {
    // 6×4: columns 0–1 black, 2–3 white, 4–5 black. Shorter side 4 → 2: scale ½,
    // resized 3×2, centre crop 2×2 starts at resized column 0 (floor(1/2)).
    const img = image(6, 4, (x) => (x >= 2 && x < 4 ? [255, 255, 255] : [0, 0, 0]));
    const out = resizeCenterCrop(img, 2, 1);
    // Resized column 0 covers source columns 0–1 (black); column 1 covers 2–3 (white).
    expect([...out]).toEqual([0, 1, 0, 1]);
  });

  it('gives RGB planes in [0, 1] and BT.601 luma for grayscale', () => {
    const img = image(2, 2, () => [255, 0, 0]);
    expect([...resizeCenterCrop(img, 1, 3)]).toEqual([1, 0, 0]);
    expect(resizeCenterCrop(img, 1, 1)[0]).toBeCloseTo(0.299, 6);
  });

  it('interpolates bilinearly when growing: a 2-pixel ramp becomes a smooth ramp', () => {
    const img = image(2, 1, (x) => (x === 0 ? [0, 0, 0] : [255, 255, 255]));
    // Shorter side 1 → 4: 8×4, centre crop 4×4 from columns 2–5 of the 8.
    const row = [...resizeCenterCrop(img, 4, 1).slice(0, 4)];
    for (let i = 1; i < 4; i++) expect(row[i]).toBeGreaterThan(row[i - 1]);
    expect(row[0]).toBeGreaterThan(0);
    expect(row[3]).toBeLessThan(1);
  });
});

describe('loadImageFolder', () => {
  const dir = join(root, 'shapes');
  mkdirSync(join(dir, 'red'), { recursive: true });
  mkdirSync(join(dir, 'blue'), { recursive: true });
  for (let i = 0; i < 3; i++) {
    writePng(
      join(dir, 'red', `r${i}.png`),
      image(10 + i, 8, () => [250, 10, 10]),
    );
    writeJpeg(
      join(dir, 'blue', `b${i}.jpg`),
      image(8, 12, () => [10, 10, 250]),
    );
  }

  it('reads one class per subfolder, sorted, PNG and JPEG alike', () => {
    const f = loadImageFolder(dir, { size: 4, channels: 3 });
    expect(f.classes).toEqual(['blue', 'red']);
    expect(f.shape).toEqual([6, 3, 4, 4]);
    expect([...f.y]).toEqual([0, 0, 0, 1, 1, 1]);
    expect(f.files[0]).toMatch(/blue[\\/]b0\.jpg$/);
    // A blue JPEG's blue plane is near 250/255 (JPEG at quality 95 is not exact).
    const per = 3 * 16;
    expect(f.x[2 * 16]).toBeGreaterThan(0.9);
    expect(f.x[0]).toBeLessThan(0.1);
    // A red PNG is exact: 250/255 in the red plane.
    expect(f.x[3 * per]).toBeCloseTo(250 / 255, 6);
    const gray = loadImageFolder(dir, { size: 4, channels: 1 });
    expect(gray.shape).toEqual([6, 1, 4, 4]);
    expect(gray.x[3 * 16]).toBeCloseTo((0.299 * 250 + 0.587 * 10 + 0.114 * 10) / 255, 5);
  });

  it('reads a folder of images without classes for prediction', () => {
    const p = loadImages(join(dir, 'red'), { size: 2 });
    expect(p.shape).toEqual([3, 3, 2, 2]);
    expect(p.files).toHaveLength(3);
  });

  it('names a missing folder, a single class, a stray file and an undecodable image', () => {
    expect(() => loadImageFolder(join(root, 'nope'))).toThrow(
      /loadImageFolder: .*nope does not exist/,
    );
    const one = join(root, 'one');
    mkdirSync(join(one, 'a'), { recursive: true });
    writePng(
      join(one, 'a', 'x.png'),
      image(2, 2, () => [0, 0, 0]),
    );
    expect(() => loadImageFolder(one)).toThrow(/at least two class subfolders.*received only 'a'/);
    const stray = join(root, 'stray');
    for (const c of ['a', 'b']) {
      mkdirSync(join(stray, c), { recursive: true });
      writePng(
        join(stray, c, 'x.png'),
        image(2, 2, () => [0, 0, 0]),
      );
    }
    writeFileSync(join(stray, 'b', 'notes.txt'), 'hi');
    expect(() => loadImageFolder(stray)).toThrow(
      /only PNG or JPEG files in .*b, received 'notes\.txt'/,
    );
    rmSync(join(stray, 'b', 'notes.txt'));
    writeFileSync(join(stray, 'b', 'broken.png'), 'not a png');
    expect(() => loadImageFolder(stray)).toThrow(/a PNG or JPEG image in .*broken\.png/);
    writeFileSync(join(stray, 'b', 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    expect(() => loadImageFolder(stray)).toThrow(/broken\.png could not be decoded/);
  });
});
