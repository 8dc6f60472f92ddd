/**
 * `nerve train`'s architecture and regularization flags: --hidden (or
 * --depth with --width), --dropout, --weight-decay and --train-examples. They
 * reach the network, the optimizer and the data, the checkpoint records the
 * network so `nerve eval` rebuilds it, and conflicting use is a usage error.
 */
import '@nerve/backend-cpu';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digitsSplit, stratifiedSample, trainValSplit } from '@nerve/data';
import { Dropout } from '@nerve/layers';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTrainArgs } from '../src/args.js';
import { main } from '../src/main.js';
import { buildModel, expectedState } from '../src/models.js';
import { capture } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-train-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parsing', () => {
  it('--hidden lists the widths; --depth N --width W is N equal layers; absent keeps the default', () => {
    expect(parseTrainArgs(['--hidden', '500,500,250']).hidden).toEqual([500, 500, 250]);
    expect(parseTrainArgs(['--depth', '3', '--width', '20']).hidden).toEqual([20, 20, 20]);
    expect(parseTrainArgs([]).hidden).toBeUndefined();
    const a = parseTrainArgs([
      '--dropout',
      '0.5',
      '--weight-decay',
      '1e-4',
      '--train-examples',
      '20',
    ]);
    expect([a.dropout, a.weightDecay, a.trainExamples]).toEqual([0.5, 1e-4, 20]);
    // Absent: no dropout, and the optimizer keeps its own decay (adamw's is 0.01).
    const d = parseTrainArgs([]);
    expect([d.dropout, d.weightDecay, d.trainExamples]).toEqual([0, undefined, undefined]);
  });

  it.each([
    [
      ['--hidden', '64', '--depth', '2'],
      /--hidden: expected either --hidden or --depth with --width, received both/,
    ],
    [['--hidden', '64', '--width', '8'], /received both/],
    [['--depth', '3'], /--depth: expected --width too/],
    [['--width', '30'], /--width: expected --depth too/],
    [
      ['--hidden', '64,0'],
      /--hidden: expected 1 to 1000 widths in \[1, 16384\] separated by commas, received '64,0'/,
    ],
    [['--hidden', '64,,32'], /--hidden: expected .* received '64,,32'/],
    [['--hidden', '1e3'], /--hidden: expected/],
    [['--hidden', '99999'], /--hidden: expected/],
    [
      ['--model', 'cnn', '--hidden', '16'],
      /--hidden: expected --model mlp .* received --model cnn/,
    ],
    [['--model', 'cnn', '--depth', '2', '--width', '3'], /--depth: expected --model mlp/],
    [['--depth', '0', '--width', '3'], /--depth: expected an integer in \[1, 1000\], received '0'/],
    [['--dropout', '1'], /--dropout: expected a number in \[0, 0.99\], received '1'/],
    [['--dropout', '-0.1'], /--dropout: expected a number in \[0, 0.99\]/],
    [['--weight-decay', '-1'], /--weight-decay: expected a number in \[0, 10\], received '-1'/],
    [['--train-examples', '0'], /--train-examples: expected an integer/],
    [['--train-examples', '20', '--limit', '100'], /--train-examples: expected without --limit/],
    [
      ['--log', 'metrics.txt'],
      /--log: expected a path ending in .csv or .jsonl, received 'metrics.txt'/,
    ],
  ])('%j exits with 2 and says why', async (argv, message) => {
    const c = capture();
    expect(await main(['train', ...(argv as string[])], c.io)).toBe(2);
    expect(c.err()).toMatch(message);
    expect(c.err()).toMatch(/usage: nerve train \[flags\]/);
  });

  it('asking for more training examples than the split holds is a usage error naming the count', async () => {
    const c = capture();
    expect(await main(['train', '--train-examples', '5000', '--epochs', '1'], c.io)).toBe(2);
    // digits: 1,437 training images (80% of 1,797), of which 10% (144) are held out for validation.
    expect(c.err()).toMatch(/--train-examples: expected at most 1293 .*received 5000/);
  });
});

describe('the network the spec describes', () => {
  it('puts one Dropout after each hidden activation and none when p = 0; the state dict is unchanged', () => {
    const spec = {
      kind: 'mlp' as const,
      inputShape: [64],
      classes: 10,
      hidden: [32, 32, 32],
      activation: 'tanh',
      batchnorm: true,
      init: 'default',
      seed: 0,
    };
    const plain = buildModel(spec);
    const dropped = buildModel({ ...spec, dropout: 0.3 });
    const kinds = (m: typeof plain) => m.children().map((c) => c.constructor.name);
    expect(kinds(plain).filter((k) => k === 'Dropout')).toHaveLength(0);
    // Linear, BatchNorm1d, Tanh, Dropout per hidden layer.
    expect(kinds(dropped)).toEqual([
      'Flatten',
      ...Array.from({ length: 3 }, () => ['Linear', 'BatchNorm1d', 'Tanh', 'Dropout']).flat(),
      'Linear',
    ]);
    for (const d of dropped.children()) if (d instanceof Dropout) expect(d.p).toBe(0.3);
    // Same tensors, renumbered: eval checks a checkpoint against this.
    const names = [...expectedState({ ...spec, dropout: 0.3 }).keys()];
    expect(names.sort()).toEqual(Object.keys(dropped.stateDict()).sort());
    expect(names.length).toBe(Object.keys(plain.stateDict()).length);
    plain.dispose();
    dropped.dispose();
  });
});

describe('--train-examples', () => {
  it('takes exactly N examples, stratified by class, the same every time', () => {
    const { train } = digitsSplit({ seed: 0, testFraction: 0.2 });
    const { train: pool } = trainValSplit(train, {
      valFraction: 0.1,
      seed: 0,
      stratify: train.tensors[1],
    });
    const labels = pool.tensors[1].dataSync() as Int32Array;
    const share = new Array<number>(10).fill(0);
    for (const y of labels) share[y] += 1 / labels.length;
    for (const n of [1, 20, 97, 500, 1292]) {
      const a = stratifiedSample(pool, n);
      const b = stratifiedSample(pool, n);
      expect(a.length).toBe(n);
      expect(a.tensors[0].dataSync()).toEqual(b.tensors[0].dataSync());
      const counts = new Array<number>(10).fill(0);
      for (const y of a.tensors[1].dataSync() as Int32Array) counts[y]++;
      // Hamilton's method: each class gets its share rounded down or up.
      for (let k = 0; k < 10; k++) {
        expect(counts[k]).toBeGreaterThanOrEqual(Math.floor(share[k] * n) - 1e-9);
        expect(counts[k]).toBeLessThanOrEqual(Math.ceil(share[k] * n) + 1e-9);
      }
    }
    expect(stratifiedSample(pool, pool.length)).toBe(pool);
  });

  it('trains on exactly N examples: every train accuracy is a multiple of 1/N', async () => {
    const out = join(dir, 'twenty.safetensors');
    const c = capture();
    const argv = ['train', '--train-examples', '20', '--epochs', '3', '--json', '--out', out];
    expect(await main(argv, c.io)).toBe(0);
    const r = c.last();
    expect(c.err()).toMatch(/\(20 train \/ 144 val \/ 360 test\)/);
    for (const h of r.history) {
      const k = h.trainAccuracy * 20;
      expect(Math.abs(k - Math.round(k))).toBeLessThan(1e-9);
    }
    // The standardization was fitted on those 20: eval prepares the test split the same way.
    const e = capture();
    expect(await main(['eval', '--checkpoint', out, '--json'], e.io)).toBe(0);
    expect(e.last().testAccuracy).toBeCloseTo(r.testAccuracy, 6);
  });
});

describe('a run with the new flags', () => {
  it('records the network in the checkpoint, and nerve eval rebuilds it to the same accuracy', async () => {
    const out = join(dir, 'deep.safetensors');
    const c = capture();
    const argv = [
      'train',
      '--depth',
      '3',
      '--width',
      '24',
      '--dropout',
      '0.2',
      '--weight-decay',
      '1e-3',
    ];
    expect(await main([...argv, '--epochs', '2', '--json', '--out', out], c.io)).toBe(0);
    const r = c.last();
    expect(r.model).toMatchObject({ hidden: [24, 24, 24], dropout: 0.2 });
    expect(r.weightDecay).toBe(1e-3);
    // 64·24+24 + 2·(24·24+24) + 24·10+10 = 1,560 + 1,200 + 250.
    expect(r.parameters).toBe(3010);
    const e = capture();
    expect(await main(['eval', '--checkpoint', out, '--json'], e.io)).toBe(0);
    // Eval mode: dropout is off in both, so the same weights give the same accuracy.
    expect(e.last().testAccuracy).toBeCloseTo(r.testAccuracy, 6);
  });

  it("reports the optimizer's own weight decay when the flag is absent", async () => {
    const c = capture();
    expect(
      await main(
        ['train', '--optimizer', 'adamw', '--epochs', '1', '--hidden', '8', '--json'],
        c.io,
      ),
    ).toBe(0);
    expect(c.last().weightDecay).toBe(0.01);
  });
});

describe('--log', () => {
  it('writes a header and one CSV row per epoch, matching the history', async () => {
    const path = join(dir, 'metrics.csv');
    const c = capture();
    expect(
      await main(['train', '--epochs', '3', '--hidden', '16', '--log', path, '--json'], c.io),
    ).toBe(0);
    const r = c.last();
    const [header, ...rows] = readFileSync(path, 'utf8').trimEnd().split('\n');
    const cols = header.split(',');
    expect(rows).toHaveLength(3);
    for (const [i, row] of rows.entries()) {
      const cells = row.split(',');
      expect(Number(cells[cols.indexOf('epoch')])).toBe(i + 1);
      expect(Number(cells[cols.indexOf('trainLoss')])).toBe(r.history[i].trainLoss);
      expect(Number(cells[cols.indexOf('valAccuracy')])).toBe(r.history[i].valAccuracy);
    }
    // The monitors nerve train runs are logged too.
    expect(cols).toContain('updateRatio/median');
  });

  it('writes JSON Lines for .jsonl', async () => {
    const path = join(dir, 'metrics.jsonl');
    const c = capture();
    expect(
      await main(['train', '--epochs', '2', '--hidden', '16', '--log', path, '--json'], c.io),
    ).toBe(0);
    const lines = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.epoch, l.valLoss])).toEqual(
      c.last().history.map((h: { epoch: number; valLoss: number }) => [h.epoch, h.valLoss]),
    );
  });

  it('refuses a --log it cannot create before training (exit 1, naming the path)', async () => {
    const path = join(dir, 'nope', 'm.csv');
    const c = capture();
    expect(await main(['train', '--epochs', '50', '--log', path], c.io)).toBe(1);
    expect(c.err()).toMatch(
      /--log: expected a file path in an existing, writable folder, received '.*nope\/m.csv': its folder/,
    );
    expect(c.out()).not.toMatch(/epoch 1\//);
    expect(existsSync(path)).toBe(false);
  });
});
