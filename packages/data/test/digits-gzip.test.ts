/**
 * loadDigitsFromGzip, the browser's way to the digits (no file access): the
 * same tensors as loadDigits, and the same refusal of bad input, with the
 * gzip inflated by DecompressionStream under a cap.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { NerveError, memory } from '@nerve/core';
import '@nerve/backend-cpu';
import { describe, expect, it } from 'vitest';
import { DIGITS_MAX_BYTES } from '../src/digits-decode.js';
import { loadDigits, loadDigitsFromGzip } from '../src/index.js';

const gz = new Uint8Array(readFileSync(new URL('../assets/digits.csv.gz', import.meta.url)));

async function refusal(p: Promise<unknown>): Promise<NerveError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(NerveError);
  return e as NerveError;
}

describe('loadDigitsFromGzip', () => {
  it('gives the same x and y as loadDigits, without leaking tensors', async () => {
    const before = memory().numTensors;
    const a = await loadDigitsFromGzip(gz);
    const b = loadDigits();
    expect(a.x.shape).toEqual([1797, 64]);
    expect(a.x.dataSync()).toEqual(b.x.dataSync());
    expect(a.y.dataSync()).toEqual(b.y.dataSync());
    for (const t of [a.x, a.y, b.x, b.y]) t.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('refuses bytes that are not gzip, naming the operation', async () => {
    const e = await refusal(loadDigitsFromGzip(new TextEncoder().encode('0,1,2\n')));
    expect(e.message).toMatch(/loadDigitsFromGzip.*gzip/);
  });

  it('refuses a truncated gzip stream', async () => {
    const e = await refusal(loadDigitsFromGzip(gz.subarray(0, gz.length >> 1)));
    expect(e.message).toMatch(/loadDigitsFromGzip: digits\.csv\.gz is not valid gzip/);
  });

  it('stops inflating a gzip bomb at the cap', async () => {
    const bomb = new Uint8Array(gzipSync(new Uint8Array(DIGITS_MAX_BYTES * 8)));
    const e = await refusal(loadDigitsFromGzip(bomb));
    expect(e.message).toMatch(/decompresses to more than 1048576 bytes; inflation stopped there/);
  });

  it('refuses well-formed gzip of the wrong table, and a non-Uint8Array', async () => {
    const other = new Uint8Array(gzipSync('1,2,3\n4,5,6\n'));
    const e = await refusal(loadDigitsFromGzip(other));
    expect(e.message).toMatch(/expected 1797 rows of 65 columns, found 2 rows of 3/);
    const e2 = await refusal(loadDigitsFromGzip('digits' as unknown as Uint8Array));
    expect(e2.message).toMatch(/Uint8Array/);
  });
});
