/**
 * The digits from their CSV text or its gzip, with no file access, so a
 * browser can load the copy it fetched: `loadDigitsFromGzip(bytes)` inflates
 * with the platform's DecompressionStream, stopping at a cap, and checks the
 * shape and every pixel as loadDigits does in Node.
 */
import { NerveError, type Tensor, tensor } from '@nerve/core';
import { parseCsv } from './csv-parse.js';

const ROWS = 1797;
const PIXELS = 64;
/** The inflated CSV is 264,712 bytes; 1 MiB leaves room for line endings and stops a gzip bomb early. */
export const DIGITS_MAX_BYTES = 2 ** 20;

/** The digits from the CSV text: x float32 [1797, 64] with values 0..16, y int32 [1797] with labels 0..9. */
export function digitsFromText(op: string, text: string, source: string): { x: Tensor; y: Tensor } {
  const p = parseCsv(op, text, source, { numClasses: 10 });
  if (p.features !== PIXELS || p.rows !== ROWS) {
    throw NerveError.raw(
      op,
      `${source}: expected ${ROWS} rows of ${PIXELS + 1} columns, found ${p.rows} rows of ${p.features + 1}`,
    );
  }
  for (let i = 0; i < p.x.length; i++) {
    const v = p.x[i];
    if (!Number.isInteger(v) || v < 0 || v > 16) {
      const row = Math.floor(i / PIXELS);
      throw NerveError.raw(op, `${source}: pixel value ${v} in row ${row + 1} is outside 0..16`);
    }
  }
  return { x: tensor(p.x, { shape: [ROWS, PIXELS] }), y: tensor(p.y) };
}

/** Inflates gzip through DecompressionStream, refusing output past `cap` bytes as it streams. */
async function gunzipCapped(
  op: string,
  source: string,
  gz: Uint8Array,
  cap: number,
): Promise<Uint8Array> {
  if (gz.length < 2 || gz[0] !== 0x1f || gz[1] !== 0x8b) {
    throw new NerveError(
      op,
      `${source} gzip data (starting 1f 8b)`,
      `${gz.length} bytes without the gzip magic`,
    );
  }
  const reader = new Blob([gz.slice()])
    .stream()
    .pipeThrough(new DecompressionStream('gzip'))
    .getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let step: ReadableStreamReadResult<Uint8Array>;
    try {
      step = await reader.read();
    } catch (e) {
      throw NerveError.raw(op, `${source} is not valid gzip: ${(e as Error).message}`);
    }
    if (step.done) break;
    total += step.value.length;
    if (total > cap) {
      await reader.cancel();
      throw NerveError.raw(
        op,
        `${source} decompresses to more than ${cap} bytes; inflation stopped there`,
      );
    }
    chunks.push(step.value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * The digits from the bytes of `digits.csv.gz` (as fetched from the package's
 * `assets/`, e.g. `new URL('@nerve/data/assets/digits.csv.gz', import.meta.url)`
 * in a bundler): the same tensors as loadDigits, in any environment with
 * DecompressionStream (browsers, Node ≥ 18).
 */
export async function loadDigitsFromGzip(bytes: Uint8Array): Promise<{
  /** The 1797 images as [1797, 64] float32 intensities 0..16. */
  x: Tensor;
  /** The digit of each image, int32 [1797]. */
  y: Tensor;
}> {
  const op = 'loadDigitsFromGzip';
  if (!(bytes instanceof Uint8Array)) {
    throw new NerveError(
      op,
      'the gzipped CSV as a Uint8Array',
      Object.prototype.toString.call(bytes),
    );
  }
  const source = 'digits.csv.gz';
  const text = new TextDecoder().decode(await gunzipCapped(op, source, bytes, DIGITS_MAX_BYTES));
  return digitsFromText(op, text, source);
}
