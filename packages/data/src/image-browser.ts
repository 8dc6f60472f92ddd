/**
 * Images of the user's own in a browser (or a worker): PNG and JPEG decoded
 * by the browser's own decoder (`createImageBitmap`), drawn 1:1 on an
 * OffscreenCanvas and read back with `getImageData`, then resized and
 * centre-cropped by the same code as in Node (image-pixels.ts). A PNG gives
 * exactly the tensor Node gives; a JPEG differs only by the two decoders'
 * rounding (libjpeg-turbo here, jpeg-js in Node: test/browser/images-browser.test.ts
 * measures it).
 *
 * The files come from an `<input type="file" webkitdirectory>` (each File's
 * `webkitRelativePath` is `DIR/<class>/<image>`, as loadImageFolder reads a
 * folder), from drag and drop, or as `{ label, blob }` entries.
 */
import { NerveError, describeValue } from '@nerve/core';
import {
  IMAGE_EXTENSIONS,
  type ImageFolder,
  type ImageFolderOptions,
  type Rgba,
  imageKind,
  imageOptions,
  resizeCenterCrop,
} from './image-pixels.js';

/** Encoded image bytes: a Blob (a File is one) or the bytes themselves. */
export type ImageSource = Blob | ArrayBuffer | ArrayBufferView;

/** An image with its class given directly instead of by a folder. */
export interface LabelledImage {
  /** The class name. */
  label: string;
  /** The encoded PNG or JPEG. */
  blob: Blob;
  /** A name for messages and `files` (default: the File's name, else `image-<i>`). */
  name?: string;
}

/** An encoded image with a name and no class. */
export interface NamedImage {
  /** Its name, for `files`, sorting and messages. */
  name: string;
  /** The encoded PNG or JPEG. */
  blob: Blob;
}

/** An image without a class, for prediction: a File, or a Blob with a name. */
export type UnlabelledImage = File | NamedImage;

function toBlob(source: ImageSource): Blob {
  if (source instanceof Blob) return source;
  if (source instanceof ArrayBuffer) return new Blob([source]);
  if (ArrayBuffer.isView(source)) {
    // Copy: the view may be over a SharedArrayBuffer, which a Blob refuses.
    const bytes = new Uint8Array(source.byteLength);
    bytes.set(new Uint8Array(source.buffer, source.byteOffset, source.byteLength));
    return new Blob([bytes]);
  }
  throw new NerveError(
    'decodeImageBrowser',
    'a Blob, File, ArrayBuffer or typed array',
    describeValue(source),
  );
}

/**
 * Decodes a PNG or JPEG (by signature, not by name) to RGBA with the
 * browser's decoder: the browser counterpart of Node's `decodeImage`, for
 * `resizeCenterCrop`. Colour profiles are not applied and alpha is not
 * premultiplied into the colours (as pngjs and jpeg-js do it), so an opaque
 * PNG gives the very bytes pngjs gives. Translucent pixels pass through the
 * canvas's premultiplied storage and may differ by rounding.
 */
export async function decodeImageBrowser(source: ImageSource, name = 'image'): Promise<Rgba> {
  const op = 'decodeImageBrowser';
  const g = globalThis as { createImageBitmap?: unknown; OffscreenCanvas?: unknown };
  if (typeof g.createImageBitmap !== 'function' || typeof g.OffscreenCanvas !== 'function') {
    throw new NerveError(
      op,
      'createImageBitmap and OffscreenCanvas (a browser page or worker; Node uses decodeImage)',
      'neither here',
    );
  }
  const blob = toBlob(source);
  const head = new Uint8Array(await blob.slice(0, 4).arrayBuffer());
  if (imageKind(head) === undefined) {
    throw new NerveError(op, `a PNG or JPEG image in ${name}`, 'neither signature');
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, {
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none',
    });
  } catch (e) {
    throw NerveError.raw(op, `${name} could not be decoded: ${(e as Error).message}`);
  }
  try {
    const { width, height } = bitmap;
    const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    if (ctx === null) throw NerveError.raw(op, 'the browser gave no 2-D canvas context');
    ctx.drawImage(bitmap, 0, 0);
    const pixels = ctx.getImageData(0, 0, width, height).data;
    return {
      width,
      height,
      data: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length),
    };
  } finally {
    bitmap.close();
  }
}

/** The browser counterpart of readDataFile's size limit. */
function checkSize(op: string, name: string, blob: Blob, maxFileBytes: number): void {
  if (blob.size > maxFileBytes) {
    throw NerveError.raw(
      op,
      `${name} is ${blob.size} bytes, more than the ${maxFileBytes} bytes this loader reads (maxFileBytes)`,
    );
  }
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot).toLowerCase();
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Decodes, resizes and crops every image into one [N, C, size, size] array. */
async function decodeAll(
  op: string,
  items: { name: string; blob: Blob }[],
  size: number,
  channels: 1 | 3,
  maxFileBytes: number,
): Promise<Float32Array> {
  const per = channels * size * size;
  const x = new Float32Array(items.length * per);
  for (const [i, { name, blob }] of items.entries()) {
    checkSize(op, name, blob, maxFileBytes);
    let img: Rgba;
    try {
      img = await decodeImageBrowser(blob, name);
    } catch (e) {
      // Name the loader, as loadImageFolder does, not the decoder.
      if (e instanceof NerveError) throw NerveError.raw(op, e.message.slice(e.op.length + 2));
      throw e;
    }
    x.set(resizeCenterCrop(img, size, channels), i * per);
  }
  return x;
}

/**
 * The browser's loadImageFolder: Files from a folder picker (`<input
 * type="file" webkitdirectory>`; `webkitRelativePath` is `DIR/<class>/<image>`)
 * or `{ label, blob }` entries, one class per subfolder or label (sorted),
 * decoded by the browser (decodeImageBrowser), resized and centre-cropped as
 * in Node. Files directly in DIR, in deeper folders, or hidden are skipped,
 * as loadImageFolder skips them; any other non-image file in a class folder
 * is refused by name.
 */
export async function loadImageFolderBrowser(
  files: readonly (File | LabelledImage)[],
  opts: ImageFolderOptions = {},
): Promise<ImageFolder> {
  const op = 'loadImageFolderBrowser';
  const { size, channels, maxFileBytes } = imageOptions(op, opts);
  const entries: { label: string; name: string; path: string; blob: Blob }[] = [];
  for (const [i, f] of files.entries()) {
    if (f instanceof Blob) {
      const name = (f as File).name ?? `image-${i}`;
      const rel = (f as File).webkitRelativePath ?? '';
      const parts = rel.split('/');
      if (rel === '' || parts.length < 2) {
        throw new NerveError(
          op,
          'Files from a folder picker (webkitRelativePath DIR/<class>/<image>) or { label, blob } entries',
          `'${name}' without a folder`,
        );
      }
      // DIR/<class>/<image> only, as loadImageFolder reads one level of class folders.
      if (parts.length !== 3 || parts.some((p) => p.startsWith('.'))) continue;
      entries.push({ label: parts[1], name: parts[2], path: rel, blob: f });
    } else if (f !== null && typeof f === 'object' && f.blob instanceof Blob) {
      if (typeof f.label !== 'string' || f.label === '') {
        throw new NerveError(op, `a class name as the label of image ${i}`, describeValue(f.label));
      }
      const name = f.name ?? (f.blob as File).name ?? `image-${i}`;
      entries.push({ label: f.label, name, path: `${f.label}/${name}`, blob: f.blob });
    } else {
      throw new NerveError(op, `a File or { label, blob } as image ${i}`, describeValue(f));
    }
  }
  for (const e of entries) {
    if (!IMAGE_EXTENSIONS.includes(extensionOf(e.name))) {
      throw new NerveError(op, `only PNG or JPEG files in class ${e.label}`, `'${e.name}'`);
    }
  }
  const classes = [...new Set(entries.map((e) => e.label))].sort(byName);
  if (classes.length < 2) {
    throw new NerveError(
      op,
      'at least two classes (one folder of images per class)',
      classes.length === 0 ? 'none' : `only '${classes[0]}'`,
    );
  }
  const index = new Map(classes.map((c, k) => [c, k]));
  entries.sort((a, b) => byName(a.label, b.label) || byName(a.name, b.name));
  const x = await decodeAll(
    op,
    entries.map((e) => ({ name: e.path, blob: e.blob })),
    size,
    channels,
    maxFileBytes,
  );
  return {
    x,
    y: Int32Array.from(entries, (e) => index.get(e.label) as number),
    shape: [entries.length, channels, size, size],
    classes,
    files: entries.map((e) => e.path),
  };
}

/**
 * The browser's loadImages, for prediction: images without classes (Files,
 * or `{ name, blob }`), sorted by name as loadImages sorts a folder; files
 * that are not PNG or JPEG by name are left out, as loadImages leaves them.
 */
export async function loadImagesBrowser(
  files: readonly UnlabelledImage[],
  opts: ImageFolderOptions = {},
): Promise<{
  /** The images, float32 in [0, 1], row-major. */
  x: Float32Array;
  /** [N, C, size, size]. */
  shape: [number, number, number, number];
  /** Each image's name, sorted, in the order of x. */
  files: string[];
}> {
  const op = 'loadImagesBrowser';
  const { size, channels, maxFileBytes } = imageOptions(op, opts);
  const items: { name: string; blob: Blob }[] = [];
  for (const [i, f] of files.entries()) {
    if (f instanceof Blob) items.push({ name: f.name, blob: f });
    else if (f !== null && typeof f === 'object' && f.blob instanceof Blob) {
      items.push({ name: String(f.name), blob: f.blob });
    } else throw new NerveError(op, `a File or { name, blob } as image ${i}`, describeValue(f));
  }
  const images = items
    .filter((it) => IMAGE_EXTENSIONS.includes(extensionOf(it.name)))
    .sort((a, b) => byName(a.name, b.name));
  if (images.length === 0) throw new NerveError(op, 'PNG or JPEG files', 'none');
  const x = await decodeAll(op, images, size, channels, maxFileBytes);
  return { x, shape: [images.length, channels, size, size], files: images.map((it) => it.name) };
}
