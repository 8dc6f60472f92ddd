/**
 * Folders of images of the user's own, one subfolder per class (as
 * torchvision's ImageFolder): PNG and JPEG decoded by maintained decoders
 * (pngjs, jpeg-js), resized so the shorter side is `size` and cropped to the
 * centre square (torchvision's Resize + CenterCrop), grayscale or RGB, as
 * float32 in [0, 1]. Node only (files); the browser entry has the same
 * loaders over File objects, decoded by createImageBitmap (image-browser.ts).
 * Both resize with image-pixels.ts.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { NerveError } from '@nerve/core';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { readDataFile } from './files.js';
import {
  IMAGE_EXTENSIONS,
  type ImageFolder,
  type ImageFolderOptions,
  type Rgba,
  imageKind,
  imageOptions,
  resizeCenterCrop,
} from './image-pixels.js';

export {
  IMAGE_EXTENSIONS,
  type ImageFolder,
  type ImageFolderOptions,
  type Rgba,
  resizeCenterCrop,
} from './image-pixels.js';

/** Decodes a PNG or JPEG file's bytes (by signature, not by name) to RGBA. */
export function decodeImage(op: string, path: string, bytes: Uint8Array): Rgba {
  const kind = imageKind(bytes);
  try {
    if (kind === 'png') {
      const img = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
      return { width: img.width, height: img.height, data: new Uint8Array(img.data) };
    }
    if (kind === 'jpeg') {
      const img = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxMemoryUsageInMB: 1024,
      });
      return { width: img.width, height: img.height, data: img.data };
    }
  } catch (e) {
    throw NerveError.raw(op, `${path} could not be decoded: ${(e as Error).message}`);
  }
  throw new NerveError(op, `a PNG or JPEG image in ${path}`, 'neither signature');
}

/**
 * Reads DIR/<class>/<image> for every class subfolder (sorted names; hidden
 * entries skipped), decoding every PNG and JPEG file. Other files are
 * refused by name, so a stray file is noticed rather than skipped.
 */
export function loadImageFolder(dir: string, opts: ImageFolderOptions = {}): ImageFolder {
  const op = 'loadImageFolder';
  const { size, channels, maxFileBytes } = imageOptions(op, opts);
  const entries = listDir(op, dir);
  const classes = entries.filter((e) => isDir(join(dir, e))).sort();
  if (classes.length < 2) {
    throw new NerveError(
      op,
      `at least two class subfolders in ${dir} (one folder of images per class)`,
      classes.length === 0 ? 'none' : `only '${classes[0]}'`,
    );
  }
  const files: string[] = [];
  const labels: number[] = [];
  for (const [k, name] of classes.entries()) {
    const sub = join(dir, name);
    const images = listDir(op, sub).sort();
    let count = 0;
    for (const f of images) {
      const path = join(sub, f);
      if (isDir(path)) continue;
      if (!IMAGE_EXTENSIONS.includes(extname(f).toLowerCase())) {
        throw new NerveError(op, `only PNG or JPEG files in ${sub}`, `'${f}'`);
      }
      files.push(path);
      labels.push(k);
      count++;
    }
    if (count === 0) throw new NerveError(op, `images in the class folder ${sub}`, 'none');
  }
  const per = channels * size * size;
  const x = new Float32Array(files.length * per);
  for (const [i, path] of files.entries()) {
    const img = decodeImage(op, path, readDataFile(op, path, maxFileBytes));
    x.set(resizeCenterCrop(img, size, channels), i * per);
  }
  return {
    x,
    y: Int32Array.from(labels),
    shape: [files.length, channels, size, size],
    classes,
    files,
  };
}

/** The images directly in `dir` (no class subfolders), for prediction. */
export function loadImages(
  dir: string,
  opts: ImageFolderOptions = {},
): {
  /** The images, float32 in [0, 1], row-major. */
  x: Float32Array;
  /** [N, C, size, size]. */
  shape: [number, number, number, number];
  /** Each image's path, sorted by name, in the order of x. */
  files: string[];
} {
  const op = 'loadImages';
  const { size, channels, maxFileBytes } = imageOptions(op, opts);
  const files = listDir(op, dir)
    .filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()))
    .sort()
    .map((f) => join(dir, f));
  if (files.length === 0) throw new NerveError(op, `PNG or JPEG files in ${dir}`, 'none');
  const per = channels * size * size;
  const x = new Float32Array(files.length * per);
  for (const [i, path] of files.entries()) {
    x.set(
      resizeCenterCrop(decodeImage(op, path, readDataFile(op, path, maxFileBytes)), size, channels),
      i * per,
    );
  }
  return { x, shape: [files.length, channels, size, size], files };
}

function listDir(op: string, dir: string): string[] {
  try {
    return readdirSync(dir).filter((e) => !e.startsWith('.'));
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'ENOTDIR'
          ? 'is not a folder'
          : (e as Error).message;
    throw NerveError.raw(op, `${dir} ${why}`);
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
