/**
 * `--data-dir`: an explicit folder is the one read (for Fashion-MNIST it
 * wins over the system copy), and a missing one is an error naming it
 * rather than a silent fallback.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { capture } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-cli-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function idx(dims: number[], payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, 0x08, dims.length]);
  for (const [i, d] of dims.entries()) view.setUint32(4 + 4 * i, d, false);
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

/** A tiny Fashion-MNIST-format folder: 40 training and 10 test images of 28×28. */
function tinyFashionMnist(): string {
  const p = join(dir, 'tiny-fashion');
  mkdirSync(p, { recursive: true });
  for (const [prefix, n] of [
    ['train', 40],
    ['t10k', 10],
  ] as const) {
    const pixels = Uint8Array.from({ length: n * 28 * 28 }, (_, i) => (i * 31) % 256);
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
    writeFileSync(join(p, `${prefix}-images-idx3-ubyte.gz`), gzipSync(idx([n, 28, 28], pixels)));
    writeFileSync(join(p, `${prefix}-labels-idx1-ubyte.gz`), gzipSync(idx([n], labels)));
  }
  return p;
}

describe('--data-dir', () => {
  it('an explicit Fashion-MNIST folder is the one trained on, even beside the system copy', async () => {
    const c = capture();
    const code = await main(
      ['train', '--dataset', 'fashion-mnist', '--data-dir', tinyFashionMnist(), '--epochs', '1'],
      c.io,
    );
    expect(code).toBe(0);
    // 40 training images split 36/4, and the 10 test images of the tiny folder.
    expect(c.all()).toMatch(/\(36 train \/ 4 val \/ 10 test\)/);
  });

  it.each([
    ['fashion-mnist'],
    ['digits'],
  ])('a missing folder is an error naming it (--dataset %s), before any training', async (dataset) => {
    const missing = join(dir, 'no-such-folder');
    const c = capture();
    const code = await main(['train', '--dataset', dataset, '--data-dir', missing], c.io);
    expect(code).toBe(1);
    expect(c.err()).toContain(`--data-dir: ${missing} does not exist`);
    expect(c.all()).not.toMatch(/epoch/);
  });

  it('a file given as the folder is an error naming it', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const t = capture();
    expect(await main(['train', '--data-dir', file], t.io)).toBe(1);
    expect(t.err()).toContain(`--data-dir: ${file} is not a directory`);
  });
});
