/**
 * An empty data set is refused where it is loaded and where it would be
 * batched: trained on, it reports a loss of 0 and looks like success.
 */
import '@nerve/backend-cpu';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NerveError, memory, tensor } from '@nerve/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DataLoader, TensorDataset, loadIdx, loadMnistFormat } from '../src/index.js';
import { idxBytes } from './idx-bytes.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-empty-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const idx = (dims: number[]) => idxBytes(dims);

function expectRefusal(fn: () => unknown, re: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(NerveError);
  expect((err as Error).message).toMatch(re);
}

describe('an IDX file with a 0-sized dimension', () => {
  it.each([[[0, 28, 28]], [[5, 0, 28]], [[0]]])('%j is refused by loadIdx', (dims) => {
    const p = join(dir, `d${dims.join('x')}.idx`);
    writeFileSync(p, idx(dims));
    expectRefusal(
      () => loadIdx(p),
      new RegExp(`declares shape \\[${dims.join(',')}\\]: a 0-sized dimension holds no data`),
    );
  });

  it('is refused by loadMnistFormat, naming the file', () => {
    const m = join(dir, 'mnist');
    mkdirSync(m);
    writeFileSync(join(m, 'train-images-idx3-ubyte'), idx([0, 28, 28]));
    writeFileSync(join(m, 'train-labels-idx1-ubyte'), idx([0]));
    expectRefusal(
      () => loadMnistFormat(m, { train: true }),
      /train-images-idx3-ubyte: the header declares shape \[0,28,28\]/,
    );
  });
});

describe('DataLoader', () => {
  it('refuses a dataset with no examples', () => {
    const before = memory().numTensors;
    const x = tensor(new Float32Array(0), { shape: [0, 3] });
    const y = tensor(new Int32Array(0));
    const ds = new TensorDataset(x, y);
    expectRefusal(
      () => new DataLoader(ds),
      /DataLoader: expected a dataset with at least one example, received an empty one/,
    );
    ds.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('refuses dropLast when no full batch exists', () => {
    const ds = new TensorDataset(tensor(new Float32Array(10), { shape: [5, 2] }));
    expectRefusal(
      () => new DataLoader(ds, { batchSize: 8, dropLast: true }),
      /dropLast with 5 examples and batchSize 8 leaves no batch/,
    );
    expect(new DataLoader(ds, { batchSize: 5, dropLast: true }).numBatches).toBe(1);
    ds.dispose();
  });
});
