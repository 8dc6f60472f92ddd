import '@nerve/backend-cpu';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { NerveError } from '@nerve/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FASHION_MNIST_SYSTEM_DIR,
  loadCsv,
  loadFashionMnist,
  loadIdx,
  loadMnistFormat,
} from '../src/index.js';
import { loadMnistFrom } from '../src/mnist.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** IDX bytes: magic 00 00 <type> <rank>, big-endian dims, then the payload. */
function idx(dims: number[], payload: ArrayLike<number>, type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, type, dims.length]);
  dims.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

function write(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, bytes);
  return p;
}

/** Expects fn to throw a NerveError whose message starts with `op:` and matches `re`. */
function expectNerveError(fn: () => unknown, op: string, re: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(NerveError);
  expect((err as NerveError).op).toBe(op);
  expect((err as Error).message).toMatch(re);
}

/** A tiny MNIST-format folder: n images of 2×3 and their labels. */
function mnistDir(
  name: string,
  n: number,
  opts: { gzip?: boolean; labels?: number[]; labelCount?: number } = {},
) {
  const images = Array.from({ length: n * 6 }, (_, i) => (i * 37) % 256);
  const labels = opts.labels ?? Array.from({ length: opts.labelCount ?? n }, (_, i) => i % 10);
  for (const prefix of ['train', 't10k']) {
    const img = idx([n, 2, 3], images);
    const lab = idx([labels.length], labels);
    const ext = opts.gzip ? '.gz' : '';
    write(`${name}/${prefix}-images-idx3-ubyte${ext}`, opts.gzip ? gzipSync(img) : img);
    write(`${name}/${prefix}-labels-idx1-ubyte${ext}`, opts.gzip ? gzipSync(lab) : lab);
  }
  return { path: join(dir, name), images, labels };
}

describe('loadIdx', () => {
  it('reads shape and bytes, plain or gzipped (detected by magic, not name)', () => {
    const bytes = idx([2, 3], [1, 2, 3, 4, 5, 255]);
    for (const p of [
      write('a.idx', bytes),
      write('b.idx', gzipSync(bytes)),
      write('c.gz', bytes),
    ]) {
      const r = loadIdx(p);
      expect(r.shape).toEqual([2, 3]);
      expect(Array.from(r.data)).toEqual([1, 2, 3, 4, 5, 255]);
    }
  });

  it('rejects a wrong magic number', () => {
    const p = write('magic.idx', Uint8Array.from([1, 2, 8, 1, 0, 0, 0, 1, 7]));
    expectNerveError(
      () => loadIdx(p),
      'loadIdx',
      /not an IDX file: the magic number starts 01 02 08 01/,
    );
  });

  it('rejects element types other than unsigned byte', () => {
    const p = write('float.idx', idx([1], [0, 0, 0, 0], 0x0d));
    expectNerveError(() => loadIdx(p), 'loadIdx', /element type 0x0d \(float\) is not supported/);
  });

  it('rejects truncated data and headers, and trailing bytes', () => {
    const full = idx([4, 4], new Array(16).fill(1));
    const p1 = write('trunc.idx', full.subarray(0, full.length - 3));
    expectNerveError(
      () => loadIdx(p1),
      'loadIdx',
      /truncated: the header declares shape \[4,4\] = 16 bytes of data, the file has 13/,
    );
    const p2 = write('header.idx', full.subarray(0, 9));
    expectNerveError(() => loadIdx(p2), 'loadIdx', /truncated header: 2 dimensions need 12 bytes/);
    const p3 = write('tail.idx', idx([2], [1, 2, 3]));
    expectNerveError(() => loadIdx(p3), 'loadIdx', /trailing bytes/);
    const p4 = write('short.idx', Uint8Array.from([0, 0]));
    expectNerveError(() => loadIdx(p4), 'loadIdx', /too short for an IDX header/);
  });

  it('rejects absurd declared sizes without allocating them', () => {
    // 4 × 2³²−1 × 2³²−1 × 2³²−1 bytes declared, 5 present.
    const p = write('huge.idx', idx([0xffffffff, 0xffffffff, 0xffffffff, 4], [1, 2, 3, 4, 5]));
    expectNerveError(
      () => loadIdx(p),
      'loadIdx',
      /truncated: the header declares shape \[4294967295,/,
    );
  });

  it('reports missing files and corrupt gzip', () => {
    expectNerveError(() => loadIdx(join(dir, 'nope.idx')), 'loadIdx', /cannot read .*nope\.idx/);
    const gz = gzipSync(idx([1], [1]));
    const p = write('bad.gz', gz.subarray(0, 12));
    expectNerveError(() => loadIdx(p), 'loadIdx', /starts like gzip but does not decompress/);
  });
});

describe('loadMnistFormat', () => {
  it('loads images as float32 [N, 1, H, W] in [0, 1] and labels as int32', () => {
    for (const gzip of [false, true]) {
      const m = mnistDir(gzip ? 'mnist-gz' : 'mnist', 5, { gzip });
      const { x, y } = loadMnistFormat(m.path, { train: true });
      expect(x.shape).toEqual([5, 1, 2, 3]);
      expect(x.dtype).toBe('float32');
      expect(Array.from(x.dataSync())).toEqual(m.images.map((v) => Math.fround(v / 255)));
      expect(y.dtype).toBe('int32');
      expect(Array.from(y.dataSync())).toEqual(m.labels);
      x.dispose();
      y.dispose();
    }
  });

  it('rejects a label out of range and unequal counts', () => {
    const bad = mnistDir('bad-label', 3, { labels: [1, 10, 2] });
    expectNerveError(
      () => loadMnistFormat(bad.path, { train: false }),
      'loadMnistFormat',
      /label 10 at index 1 is outside 0\.\.9/,
    );
    const mismatch = mnistDir('mismatch', 4, { labelCount: 3 });
    expectNerveError(
      () => loadMnistFormat(mismatch.path, { train: true }),
      'loadMnistFormat',
      /count mismatch: .* holds 4 images, .* 3 labels/,
    );
  });

  it('names the missing file', () => {
    write('half/train-images-idx3-ubyte', idx([1, 1, 1], [0]));
    expectNerveError(
      () => loadMnistFormat(join(dir, 'half'), { train: true }),
      'loadMnistFormat',
      /no train-labels-idx1-ubyte or train-labels-idx1-ubyte\.gz in/,
    );
  });
});

describe('loadFashionMnist', () => {
  it('falls back to the given folder and says where it looked and how to get the data', () => {
    const m = mnistDir('fm', 4, { gzip: true });
    const { train, test } = loadMnistFrom(
      'loadFashionMnist',
      [join(dir, 'absent'), m.path],
      'HELP',
    );
    expect(train.length).toBe(4);
    expect(test.tensors[0].shape).toEqual([4, 1, 2, 3]);
    train.dispose();
    test.dispose();
    expectNerveError(
      () => loadMnistFrom('loadFashionMnist', [join(dir, 'absent'), join(dir, 'half')], 'HELP'),
      'loadFashionMnist',
      /looked in .*absent \(does not exist\); .*half \(missing train-labels-idx1-ubyte\[\.gz\], t10k-images.*HELP/,
    );
  });

  it('an explicit dataDir is the only folder read: it wins over the system copy', () => {
    const m = mnistDir('fm-explicit', 3);
    const { train, test } = loadFashionMnist({ dataDir: m.path });
    expect(train.tensors[0].shape).toEqual([3, 1, 2, 3]);
    train.dispose();
    test.dispose();
  });

  it('a missing explicit dataDir is an error naming it, with no fallback', () => {
    expectNerveError(
      () => loadFashionMnist({ dataDir: join(dir, 'absent') }),
      'loadFashionMnist',
      /data not found; looked in .*absent \(does not exist\)\. Install/,
    );
  });

  it.runIf(!existsSync(FASHION_MNIST_SYSTEM_DIR))(
    'without the system copy, the error explains how to get it',
    () => {
      expectNerveError(
        () => loadFashionMnist(),
        'loadFashionMnist',
        /\/usr\/share\/datasets\/fashion-mnist \(does not exist\).*dataset-fashion-mnist.*zalandoresearch/,
      );
    },
  );

  // Needs Debian's dataset-fashion-mnist (CI installs it). Skipped, and reported
  // as skipped rather than passed, on machines without it.
  it.runIf(existsSync(FASHION_MNIST_SYSTEM_DIR))('loads the real Fashion-MNIST files', () => {
    const { train, test } = loadFashionMnist();
    expect(train.tensors[0].shape).toEqual([60000, 1, 28, 28]);
    expect(test.tensors[0].shape).toEqual([10000, 1, 28, 28]);
    expect(train.length).toBe(60000);
    expect(test.tensors[1].shape).toEqual([10000]);
    for (const ds of [train, test]) {
      const y = ds.tensors[1].dataSync();
      const counts = new Array(10).fill(0);
      for (const v of y) counts[v]++;
      // Fashion-MNIST is balanced: 6000 / 1000 of each class.
      expect(counts).toEqual(new Array(10).fill(ds.length / 10));
      const x = ds.tensors[0].dataSync();
      let lo = 1;
      let hi = 0;
      for (let i = 0; i < x.length; i++) {
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
      }
      expect([lo, hi]).toEqual([0, 1]);
      ds.dispose();
    }
  });
});

describe('loadCsv', () => {
  it('reads features and labels, with a header, a label column and gzip', () => {
    const p = write('ok.csv', 'a,b,label\n1,2.5,0\n-3,4e1,2\n\n');
    const { x, y } = loadCsv(p, { header: true, numClasses: 3 });
    expect(x.shape).toEqual([2, 2]);
    expect(x.arraySync()).toEqual([
      [1, 2.5],
      [-3, 40],
    ]);
    expect(Array.from(y.dataSync())).toEqual([0, 2]);
    const p2 = write('first.csv.gz', gzipSync('1,5,6\r\n0,7,8\r\n'));
    const r = loadCsv(p2, { labelColumn: 'first' });
    expect(r.x.arraySync()).toEqual([
      [5, 6],
      [7, 8],
    ]);
    expect(Array.from(r.y.dataSync())).toEqual([1, 0]);
    const r2 = loadCsv(p2, { labelColumn: 1 });
    expect(r2.x.arraySync()).toEqual([
      [1, 6],
      [0, 8],
    ]);
    for (const t of [x, y, r.x, r.y, r2.x, r2.y]) t.dispose();
  });

  it('names ragged rows, non-numeric cells and bad labels by line and column', () => {
    const ragged = write('ragged.csv', '1,2,0\n3,4\n');
    expectNerveError(
      () => loadCsv(ragged),
      'loadCsv',
      /ragged rows: line 2 has 2 columns, line 1 has 3/,
    );
    const text = write('text.csv', '1,2,0\n3,abc,1\n');
    expectNerveError(() => loadCsv(text), 'loadCsv', /non-numeric value 'abc' at line 2, column 2/);
    const empty = write('emptycell.csv', '1,,0\n');
    expectNerveError(() => loadCsv(empty), 'loadCsv', /an empty value at line 1, column 2/);
    const range = write('range.csv', '1,2,0\n3,4,5\n');
    expectNerveError(
      () => loadCsv(range, { numClasses: 5 }),
      'loadCsv',
      /label 5 at line 2, column 3 is outside 0\.\.4/,
    );
    const frac = write('frac.csv', '1,2,0.5\n');
    expectNerveError(
      () => loadCsv(frac),
      'loadCsv',
      /label '0\.5' at line 1, column 3 is not a non-negative decimal integer/,
    );
    const none = write('none.csv', 'h1,h2\n');
    expectNerveError(() => loadCsv(none, { header: true }), 'loadCsv', /no data rows/);
    expectNerveError(
      () => loadCsv(ragged, { labelColumn: 3 }),
      'loadCsv',
      /labelColumn 3 is outside the 3 columns/,
    );
  });
});
