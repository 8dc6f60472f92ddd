/**
 * What the Node and browser image loaders share, with no file system and no
 * codec: the options and result types, the RGBA pixel type decoders hand
 * over, and the resize + centre crop that turns pixels into a [C, size,
 * size] float32 image. The Node decoders (image-folder.ts: pngjs, jpeg-js)
 * and the browser's (image-browser.ts: createImageBitmap) both end here, so
 * the same pixels give the same tensor.
 */
import { NerveError } from '@nerve/core';

/** Options of loadImageFolder. */
export interface ImageFolderOptions {
  /** Side of the square each image becomes (default 32). */
  size?: number;
  /** 1: grayscale (ITU-R BT.601 luma), 3: RGB (default 3). */
  channels?: 1 | 3;
  /** The most bytes of one image file (default 32 MiB). */
  maxFileBytes?: number;
}

/** Decoded images: x float32 [N, C, size, size] in [0, 1], y int32 class indices. */
export interface ImageFolder {
  /** The images, float32 in [0, 1], [N, C, size, size] row-major. */
  x: Float32Array;
  /** Each image's class index into `classes`. */
  y: Int32Array;
  /** [N, C, size, size]. */
  shape: [number, number, number, number];
  /** Class names (the subfolders), sorted; y indexes them. */
  classes: string[];
  /** Each image's path, in the order of x. */
  files: string[];
}

/** File extensions read as images. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

/** RGBA pixels of one decoded image. */
export interface Rgba {
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
  /** width × height × 4 bytes. */
  data: Uint8Array;
}

/** Checks `size` and `channels` and fills in their defaults. */
export function imageOptions(
  op: string,
  opts: ImageFolderOptions,
): { size: number; channels: 1 | 3; maxFileBytes: number } {
  const { size = 32, channels = 3, maxFileBytes = 32 * 2 ** 20 } = opts;
  if (!Number.isInteger(size) || size < 1 || size > 4096) {
    throw new NerveError(op, 'size an integer in [1, 4096]', String(size));
  }
  if (channels !== 1 && channels !== 3)
    throw new NerveError(op, 'channels 1 or 3', String(channels));
  return { size, channels, maxFileBytes };
}

/** Whether `bytes` start with the PNG signature, the JPEG one, or neither. */
export function imageKind(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47)
    return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'jpeg';
  return undefined;
}

/**
 * Resizes RGBA pixels so the shorter side is `size` (area averaging when
 * shrinking, bilinear when growing) and crops the centre size × size square;
 * returns float32 [channels, size, size] in [0, 1].
 */
export function resizeCenterCrop(img: Rgba, size: number, channels: 1 | 3): Float32Array {
  const { width: w, height: h, data } = img;
  const scale = size / Math.min(w, h);
  const rw = Math.max(size, Math.round(w * scale));
  const rh = Math.max(size, Math.round(h * scale));
  const left = Math.floor((rw - size) / 2);
  const top = Math.floor((rh - size) / 2);
  const out = new Float32Array(channels * size * size);
  // Where output pixel (i, j) comes from in the source: [x0, x1) × [y0, y1).
  const sx = w / rw;
  const sy = h / rh;
  const rgb = [0, 0, 0];
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const y0 = (top + i) * sy;
      const x0 = (left + j) * sx;
      if (sx > 1 || sy > 1) areaMean(data, w, h, x0, y0, x0 + sx, y0 + sy, rgb);
      else bilinear(data, w, h, x0 + sx / 2 - 0.5, y0 + sy / 2 - 0.5, rgb);
      const o = i * size + j;
      if (channels === 1) out[o] = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) / 255;
      else for (let c = 0; c < 3; c++) out[c * size * size + o] = rgb[c] / 255;
    }
  }
  return out;
}

/** The mean RGB over the source rectangle [x0, x1) × [y0, y1), weighted by overlap. */
function areaMean(
  d: Uint8Array,
  w: number,
  h: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  rgb: number[],
): void {
  rgb[0] = rgb[1] = rgb[2] = 0;
  let total = 0;
  for (let y = Math.floor(y0); y < Math.min(h, Math.ceil(y1)); y++) {
    const wy = Math.min(y + 1, y1) - Math.max(y, y0);
    for (let x = Math.floor(x0); x < Math.min(w, Math.ceil(x1)); x++) {
      const wt = wy * (Math.min(x + 1, x1) - Math.max(x, x0));
      const p = (y * w + x) * 4;
      rgb[0] += wt * d[p];
      rgb[1] += wt * d[p + 1];
      rgb[2] += wt * d[p + 2];
      total += wt;
    }
  }
  for (let c = 0; c < 3; c++) rgb[c] /= total;
}

/** Bilinear RGB at source coordinates (x, y) (pixel centres at integers), edges clamped. */
function bilinear(d: Uint8Array, w: number, h: number, x: number, y: number, rgb: number[]): void {
  const cx = Math.min(Math.max(x, 0), w - 1);
  const cy = Math.min(Math.max(y, 0), h - 1);
  const xa = Math.floor(cx);
  const ya = Math.floor(cy);
  const xb = Math.min(xa + 1, w - 1);
  const yb = Math.min(ya + 1, h - 1);
  const fx = cx - xa;
  const fy = cy - ya;
  for (let c = 0; c < 3; c++) {
    const v = (px: number, py: number) => d[(py * w + px) * 4 + c];
    const top = v(xa, ya) * (1 - fx) + v(xb, ya) * fx;
    const bottom = v(xa, yb) * (1 - fx) + v(xb, yb) * fx;
    rgb[c] = top * (1 - fy) + bottom * fy;
  }
}
