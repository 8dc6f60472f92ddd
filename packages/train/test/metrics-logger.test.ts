/**
 * metricsLogger: CSV and JSON Lines per epoch, to a sink or to a file that
 * holds every finished epoch even when training dies, with the header once.
 */
import '@nerve/backend-cpu';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Tensor, memory, randn, tensor } from '@nerve/core';
import { DataLoader, TensorDataset } from '@nerve/data';
import { Linear, ReLU, Sequential, crossEntropy } from '@nerve/layers';
import { type EpochRecord, UpdateRatioMonitor } from '@nerve/metrics';
import { Adam } from '@nerve/optim';
import { afterAll, describe, expect, it } from 'vitest';
import { type Callback, epochRow, fit, metricsLogFormat, metricsLogger } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-metrics-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function blobs(n: number, seed: number): TensorDataset {
  const x = randn([n, 4], { seed });
  const xs = x.dataSync();
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = xs[4 * i] - xs[4 * i + 2] > 0 ? 1 : 0;
  return new TensorDataset(x, tensor(labels));
}
const train = blobs(128, 1);
const val = blobs(64, 2);
const ce = (out: Tensor, y: Tensor) => crossEntropy(out, y);

async function run(epochs: number, callbacks: Callback[]): Promise<EpochRecord[]> {
  const model = new Sequential(
    new Linear(4, 8, { seed: 3 }),
    new ReLU(),
    new Linear(8, 2, { seed: 4 }),
  );
  try {
    return await fit(model, {
      train: new DataLoader(train, { batchSize: 32, shuffle: true, seed: 0 }),
      val: new DataLoader(val, { batchSize: 64 }),
      epochs,
      optimizer: new Adam(model.parameters(), { lr: 1e-2 }),
      loss: ce,
      monitors: [new UpdateRatioMonitor()],
      callbacks,
    });
  } finally {
    model.dispose();
  }
}

describe('metricsLogger with a write sink', () => {
  it('CSV: a header once, then one row per epoch that reads back to the history exactly', async () => {
    const lines: string[] = [];
    const history = await run(3, [
      metricsLogger({ format: 'csv', write: (l) => void lines.push(l) }),
    ]);
    expect(lines).toHaveLength(4);
    const header = lines[0].split(',');
    expect(header.slice(0, 6)).toEqual([
      'epoch',
      'trainLoss',
      'trainAccuracy',
      'valLoss',
      'valAccuracy',
      'lr',
    ]);
    expect(header).toContain('updateRatio/median');
    expect(header).toContain('updateRatio/param/0.weight');
    for (const [i, h] of history.entries()) {
      const cells = lines[i + 1].split(',');
      const row = epochRow(h);
      // String(number) is the shortest text that parses back to the same double.
      expect(Object.fromEntries(header.map((k, j) => [k, Number(cells[j])]))).toEqual(row);
    }
  });

  it('JSON Lines: one object per epoch with every field', async () => {
    const lines: string[] = [];
    const history = await run(2, [
      metricsLogger({ format: 'jsonl', write: (l) => void lines.push(l) }),
    ]);
    expect(lines.map((l) => JSON.parse(l))).toEqual(history.map(epochRow));
    expect(Object.keys(JSON.parse(lines[0]))).not.toContain('stepLosses');
  });

  it('writes NaN and infinities by name in CSV and as null in JSON; missing fields are empty cells', async () => {
    const csv: string[] = [];
    const jsonl: string[] = [];
    const loggers = [
      metricsLogger({ format: 'csv', write: (l) => void csv.push(l) }),
      metricsLogger({ format: 'jsonl', write: (l) => void jsonl.push(l) }),
    ];
    const records: EpochRecord[] = [
      { epoch: 1, trainLoss: 2.3, valLoss: 2.2, lr: 0.1, monitors: { 'a,b': 1 } },
      { epoch: 2, trainLoss: Number.NaN, lr: Number.POSITIVE_INFINITY, monitors: { extra: 5 } },
    ];
    for (const lg of loggers) {
      await lg.onTrainBegin?.({} as never);
      for (const r of records) await lg.onEpochEnd?.(r, {} as never);
    }
    // The first epoch fixes the CSV columns; the quoted name keeps its comma.
    expect(csv).toEqual([
      'epoch,trainLoss,valLoss,lr,"a,b"',
      '1,2.3,2.2,0.1,1',
      '2,NaN,,Infinity,',
    ]);
    expect(jsonl.map((l) => JSON.parse(l))).toEqual([
      { epoch: 1, trainLoss: 2.3, valLoss: 2.2, lr: 0.1, 'a,b': 1 },
      { epoch: 2, trainLoss: null, lr: null, extra: 5 },
    ]);
  });

  it('keeps live tensors flat (it creates none)', async () => {
    // A run leaves its optimizer's state behind (Adam's moments): the same with and without the logger.
    const delta = async (callbacks: Callback[]) => {
      const before = memory().numTensors;
      await run(2, callbacks);
      return memory().numTensors - before;
    };
    await delta([]); // warm-up: lazily created tensors
    const without = await delta([]);
    expect(await delta([metricsLogger({ format: 'csv', write: () => {} })])).toBe(without);
  });

  it('refuses bad options, naming them', () => {
    const bad: [unknown, RegExp][] = [
      [{ format: 'csv' }, /either a write sink or a file path, received neither/],
      [{ format: 'csv', write: () => {}, path: 'x.csv' }, /received both/],
      [{ write: () => {} }, /format 'csv' or 'jsonl', received undefined/],
      [{ format: 'xml', write: () => {} }, /format 'csv' or 'jsonl', received/],
      [
        { path: join(dir, 'log.txt') },
        /or a path ending in .csv, .jsonl or .ndjson\), received no format for/,
      ],
      [{ format: 'csv', write: () => {}, append: true }, /append only with a path/],
      [{ format: 'csv', write: 'stdout' }, /write a function/],
    ];
    for (const [opts, message] of bad) {
      expect(() => metricsLogger(opts as never)).toThrow(message);
    }
    expect([
      metricsLogFormat('a.CSV'),
      metricsLogFormat('a.jsonl'),
      metricsLogFormat('a.ndjson'),
      metricsLogFormat('a.json'),
    ]).toEqual(['csv', 'jsonl', 'jsonl', undefined]);
  });
});

describe('metricsLogger with a file', () => {
  it('has every finished epoch on disk at the end of that epoch, and keeps them when training dies', async () => {
    const path = join(dir, 'crash.csv');
    const seen: string[][] = [];
    const crash: Callback = {
      onEpochEnd: (r) => {
        seen.push(readFileSync(path, 'utf8').trimEnd().split('\n'));
        if (r.epoch === 2) throw new Error('power cut');
      },
    };
    await expect(run(5, [metricsLogger({ path }), crash])).rejects.toThrow('power cut');
    // After epoch 1: header + 1 row; after epoch 2: header + 2 rows.
    expect(seen.map((s) => s.length)).toEqual([2, 3]);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => l.split(',')[0])).toEqual(['epoch', '1', '2']);
  });

  it('starts the file afresh by default; with append it writes rows under the existing header', async () => {
    const path = join(dir, 'runs.csv');
    await run(2, [metricsLogger({ path })]);
    await run(1, [metricsLogger({ path })]);
    expect(readFileSync(path, 'utf8').trimEnd().split('\n')).toHaveLength(2);
    await run(2, [metricsLogger({ path, append: true })]);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => l.split(',')[0])).toEqual(['epoch', '1', '1', '2']);
    expect(lines.filter((l) => l.startsWith('epoch'))).toHaveLength(1);
  });

  it("appending under another program's header follows its columns", async () => {
    const path = join(dir, 'theirs.csv');
    writeFileSync(path, 'valLoss,epoch,"not,ours"\n9,0,x\n');
    const history = await run(1, [metricsLogger({ path, append: true })]);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toEqual(['valLoss,epoch,"not,ours"', '9,0,x', `${history[0].valLoss},1,`]);
  });

  it('appends JSON Lines to a .jsonl file, format from the extension', async () => {
    const path = join(dir, 'log.jsonl');
    const history = await run(2, [metricsLogger({ path })]);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(history.map(epochRow));
  });

  it('names the path when the file cannot be created, before the first epoch', async () => {
    const path = join(dir, 'missing-folder', 'log.csv');
    let epochs = 0;
    await expect(
      run(2, [metricsLogger({ path }), { onEpochEnd: () => void epochs++ }]),
    ).rejects.toThrow(/metricsLogger: cannot create '.*missing-folder\/log.csv'/);
    expect(epochs).toBe(0);
  });
});
