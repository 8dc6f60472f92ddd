/**
 * The site's Fashion-MNIST subset (apps/site/assets/fashion-mnist-subset/,
 * made by scripts/site-assets.ts): the four IDX files of the dataset, cut to
 * the first 600 training and 100 test images of every class, gzipped. Decoded
 * here with no file access, so a browser worker and a Node test read the same
 * bytes the same way; `loadFashionMnist({ dataDir })` of @nerve/data reads
 * the same folder in Node (the test checks the two agree).
 */
import { tensor } from '@nerve/core';
import { TensorDataset } from '@nerve/data';

/** The subset's four files, as fetched (gzipped, or already inflated by the server). */
export interface SubsetFiles {
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
}

/** Images per class in the subset (scripts/site-assets.ts). */
export const SUBSET_PER_CLASS = { train: 600, test: 100 } as const;

/** The Fashion-MNIST class names, labels 0..9. */
export const FASHION_CLASSES = [
  'T-shirt/top',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'ankle boot',
] as const;

/** The largest file: 6,000 images of 784 bytes and a 16-byte header, with room to spare. */
const MAX_INFLATED = 8 * 2 ** 20;

/** Inflates gzip through DecompressionStream (bytes without the gzip magic pass as they are), capped. */
export async function gunzip(bytes: Uint8Array, source: string): Promise<Uint8Array> {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const reader = new Blob([bytes.slice()])
    .stream()
    .pipeThrough(new DecompressionStream('gzip'))
    .getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_INFLATED) {
      await reader.cancel();
      throw new Error(`${source}: expected at most ${MAX_INFLATED} bytes inflated, received more`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An IDX file of unsigned bytes: its shape and elements (a view). Checks the magic and the length. */
export function parseIdxBytes(
  bytes: Uint8Array,
  source: string,
): { shape: number[]; data: Uint8Array } {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 8) {
    throw new Error(
      `${source}: expected an IDX file of unsigned bytes (00 00 08), received other bytes`,
    );
  }
  const rank = bytes[3];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = 4 + 4 * rank;
  if (rank < 1 || bytes.length < head)
    throw new Error(`${source}: expected an IDX header, received a truncated one`);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const n = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - head !== n) {
    throw new Error(
      `${source}: expected ${n} bytes of data for shape [${shape}], received ${bytes.length - head}`,
    );
  }
  return { shape, data: bytes.subarray(head) };
}

/** One split: images [N, 1, 28, 28] in [0, 1] and int32 labels [N], as loadFashionMnist returns them. */
function split(images: Uint8Array, labels: Uint8Array, name: string): TensorDataset {
  const img = parseIdxBytes(images, `${name} images`);
  const lab = parseIdxBytes(labels, `${name} labels`);
  if (img.shape.length !== 3 || lab.shape.length !== 1 || lab.shape[0] !== img.shape[0]) {
    throw new Error(
      `${name}: expected images [N, H, W] and labels [N], received [${img.shape}] and [${lab.shape}]`,
    );
  }
  const [n, h, w] = img.shape;
  const x = new Float32Array(img.data.length);
  for (let i = 0; i < x.length; i++) x[i] = img.data[i] / 255;
  const y = Int32Array.from(lab.data);
  if (y.some((v) => v > 9)) throw new Error(`${name}: expected labels 0..9, received a larger one`);
  return new TensorDataset(tensor(x, { shape: [n, 1, h, w] }), tensor(y));
}

/** Decodes the four files into the train and test datasets (the caller owns them). */
export async function decodeFashionSubset(
  files: SubsetFiles,
): Promise<{ train: TensorDataset; test: TensorDataset }> {
  const [trI, trL, teI, teL] = await Promise.all([
    gunzip(files.trainImages, 'train images'),
    gunzip(files.trainLabels, 'train labels'),
    gunzip(files.testImages, 'test images'),
    gunzip(files.testLabels, 'test labels'),
  ]);
  const train = split(trI, trL, 'Fashion-MNIST subset, train');
  try {
    return { train, test: split(teI, teL, 'Fashion-MNIST subset, test') };
  } catch (e) {
    train.dispose();
    throw e;
  }
}
