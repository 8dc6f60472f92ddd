/**
 * `nerve train --csv` and `nerve predict`: a table of the user's own
 * (header, `;`, quoted numbers, string labels, a categorical column, a
 * missing cell) trains, keeps its class names and preparation in the
 * checkpoint, and predicts new rows the same way; regression too; bad input
 * is named with line and column.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator } from '@nerve/core';
import { readSafetensorsHeader } from '@nerve/layers';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-table-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPECIES = ['setosa', 'versicolor', 'virginica'] as const;
const CENTRES = [
  [0, 0],
  [6, 0],
  [0, 6],
];

/**
 * Three classes of 2-D points around centres 6 units apart with unit noise,
 * plus a colour column that carries no information. The nearest centre is
 * wrong for a point only past 3σ along the line between two centres, so the
 * Bayes accuracy is about 99.7%: a working pipeline lands far above 90%, one
 * that misaligns rows and labels near 33%.
 */
function irisLike(path: string, rows: number, seed: number, opts: { missingAt?: number } = {}) {
  const g = new Generator(seed);
  const lines = ['"a";"b";colour;species'];
  for (let i = 0; i < rows; i++) {
    const c = i % 3;
    const a = CENTRES[c][0] + g.normal(1)[0];
    const b = CENTRES[c][1] + g.normal(1)[0];
    const colour = ['red', 'green', 'blue'][Math.floor(g.uniform(1)[0] * 3)];
    const aCell = i === opts.missingAt ? '' : `"${a.toFixed(3)}"`;
    lines.push(`${aCell};${b.toFixed(3)};${colour};${SPECIES[c]}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

const cli = runCli;

describe('nerve train --csv / nerve predict (classification)', () => {
  const train = join(dir, 'iris.csv');
  const fresh = join(dir, 'fresh.csv');
  const model = join(dir, 'iris.safetensors');
  irisLike(train, 300, 1);
  irisLike(fresh, 60, 2);

  it('trains on a ; separated table with string labels and keeps the class names', async () => {
    const r = await cli(['train', '--csv', train, '--label', 'species', '--out', model, '--json']);
    expect(r.err()).not.toMatch(/nerve: /);
    expect(r.code).toBe(0);
    const s = r.last();
    expect(s.event).toBe('summary');
    expect(s.classNames).toEqual([...SPECIES]);
    // Bayes accuracy ≈ 99.7% (see irisLike); 90% leaves room for 60 test rows.
    expect(s.testAccuracy).toBeGreaterThan(0.9);
    // 300 rows: 60 test, 24 validation, 216 train.
    expect(s.model.inputShape).toEqual([5]); // a, b and colour one-hot over 3
    const header = await readSafetensorsHeader(model);
    const meta = JSON.parse(header.metadata.nerve);
    expect(meta.dataset).toBe('table');
    expect(meta.table.encoding.classes).toEqual([...SPECIES]);
    expect(meta.table.encoding.features).toEqual([
      'a',
      'b',
      'colour=blue',
      'colour=green',
      'colour=red',
    ]);
  });

  it('predicts new rows with class names and probabilities, and scores them when labelled', async () => {
    const r = await cli(['predict', '--checkpoint', model, '--csv', fresh, '--json']);
    expect(r.code).toBe(0);
    const events = r.lines();
    const rows = events.filter((e) => e.event === 'prediction');
    expect(rows).toHaveLength(60);
    for (const row of rows) {
      const total = Object.values(row.probabilities as Record<string, number>).reduce(
        (a, b) => a + b,
        0,
      );
      expect(total).toBeCloseTo(1, 5);
      expect(SPECIES).toContain(row.prediction);
    }
    expect(rows[0].line).toBe(2);
    const summary = events[events.length - 1];
    const agree = rows.filter((row) => row.prediction === row.label).length / rows.length;
    expect(summary.accuracy).toBeCloseTo(agree, 10);
    expect(summary.accuracy).toBeGreaterThan(0.9);
  });

  it('predicts rows without the label column, in another column order', async () => {
    const path = join(dir, 'unlabelled.csv');
    writeFileSync(path, 'colour,b,a\nred,0.1,6.2\nblue,5.8,0.3\n');
    const r = await cli(['predict', '--checkpoint', model, '--csv', path]);
    expect(r.code).toBe(0);
    expect(r.out()).toMatch(/^line 2: versicolor {2}\[versicolor /m);
    expect(r.out()).toMatch(/^line 3: virginica {2}\[virginica /m);
    expect(r.out()).not.toMatch(/accuracy/);
  });

  it('refuses a missing cell with line and column, and imputes it with --missing mean', async () => {
    const holed = join(dir, 'holed.csv');
    irisLike(holed, 60, 3, { missingAt: 4 });
    const refused = await cli(['train', '--csv', holed, '--label', 'species', '--epochs', '1']);
    expect(refused.code).toBe(1);
    expect(refused.err()).toMatch(
      /holed\.csv line 6, column 1 \('a'\): expected a value, received missing ''.*--missing mean/,
    );
    const filled = await cli([
      'train',
      '--csv',
      holed,
      '--label',
      'species',
      '--epochs',
      '1',
      '--missing',
      'mean',
      '--json',
    ]);
    expect(filled.code).toBe(0);
  });

  it('names the problems of bad flags and files', async () => {
    const noLabel = await cli(['train', '--csv', train]);
    expect(noLabel.code).toBe(2);
    expect(noLabel.err()).toMatch(/--csv: expected --label COLUMN too/);
    const both = await cli(['train', '--csv', train, '--label', 'species', '--dataset', 'digits']);
    expect(both.code).toBe(2);
    expect(both.err()).toMatch(/--csv: expected without --dataset/);
    const labelAlone = await cli(['train', '--label', 'species']);
    expect(labelAlone.code).toBe(2);
    expect(labelAlone.err()).toMatch(/--label: expected --csv too/);
    const wrongColumn = await cli(['train', '--csv', train, '--label', 'kind']);
    expect(wrongColumn.code).toBe(1);
    expect(wrongColumn.err()).toMatch(
      /label one of the columns of .*iris\.csv \(a, b, colour, species\).*'kind'/,
    );
    const cnn = await cli(['train', '--csv', train, '--label', 'species', '--model', 'cnn']);
    expect(cnn.code).toBe(2);
    const evalTable = await cli(['eval', '--checkpoint', model]);
    expect(evalTable.code).toBe(1);
    expect(evalTable.err()).toMatch(
      /trained on a table of your own: score it with nerve eval --checkpoint CKPT --csv FILE/,
    );
    const lacking = join(dir, 'lacking.csv');
    writeFileSync(lacking, 'a,colour\n1,red\n');
    const r = await cli(['predict', '--checkpoint', model, '--csv', lacking]);
    expect(r.code).toBe(1);
    expect(r.err()).toMatch(/a column 'b' in .*lacking\.csv \(the model was trained with it\)/);
  });
});

describe('nerve tune on a table', () => {
  it('searches the MLP on the table, on worker threads, judged on its validation part', async () => {
    const path = join(dir, 'tune.csv');
    irisLike(path, 150, 5);
    const r = await cli([
      'tune',
      '--csv',
      path,
      '--label',
      'species',
      '--trials',
      '2',
      '--epochs',
      '10',
      '--workers',
      '2',
      '--depth',
      '2',
      '--lr',
      '1e-2:5e-2',
      '--batch-size',
      '16',
      '--json',
    ]);
    expect(r.err()).toMatch(/search on .*tune\.csv \(MLP, 2 hidden layers\)/);
    expect(r.code).toBe(0);
    const s = r.last();
    expect(s.trials).toHaveLength(2);
    for (const t of s.trials) {
      expect(t.status, JSON.stringify(t.history.at(-1))).toBe('completed');
      expect(t.history).toHaveLength(10);
      // Separable classes (see irisLike): 70 Adam steps at lr ≥ 1e-2 leave chance (1/3) far behind.
      expect(t.history[9].metrics.valAccuracy).toBeGreaterThan(0.8);
    }
    const bad = await cli(['tune', '--model', 'cnn', '--hidden', '16:32']);
    expect(bad.code).toBe(2);
    expect(bad.err()).toMatch(/--hidden: expected --model mlp/);
  });
});

describe('nerve lr-find on a table', () => {
  it('sweeps on the table and names the nerve train command with its flags', async () => {
    const path = join(dir, 'sweep.csv');
    irisLike(path, 150, 6);
    const r = await cli([
      'lr-find',
      '--csv',
      path,
      '--label',
      'species',
      '--delimiter',
      ';',
      '--steps',
      '40',
      '--json',
    ]);
    expect(r.err()).not.toMatch(/nerve: /);
    const s = r.last();
    expect(s.lrs).toHaveLength(s.losses.length);
    expect(s.suggestion).toBeGreaterThan(1e-6);
    expect(s.command).toMatch(
      /^pnpm nerve train --csv ".*sweep\.csv" --label "species" --delimiter ';' --model mlp /,
    );
    expect(s.command).not.toMatch(/--dataset/);
  });
});

describe('nerve train --csv --task regression', () => {
  it('learns a linear target far better than predicting the mean, and predicts in its units', async () => {
    const g = new Generator(4);
    const lines = ['x1,x2,city,price'];
    const rows: string[] = [];
    for (let i = 0; i < 400; i++) {
      const x1 = g.uniform(1)[0] * 10;
      const x2 = g.uniform(1)[0] * 10;
      const city = i % 2 === 0 ? 'bonn' : 'berlin';
      // Target std ≈ 1000·sqrt(9·100/12 + 4·100/12 + 0.25) ≈ 10.4k; noise 500.
      const price = 1000 * (3 * x1 - 2 * x2 + (city === 'berlin' ? 1 : 0)) + 500 * g.normal(1)[0];
      rows.push(`${x1.toFixed(3)},${x2.toFixed(3)},${city},${price.toFixed(1)}`);
    }
    const path = join(dir, 'prices.csv');
    writeFileSync(path, `${[...lines, ...rows].join('\n')}\n`);
    const out = join(dir, 'prices.safetensors');
    const r = await cli([
      'train',
      '--csv',
      path,
      '--label',
      'price',
      '--task',
      'regression',
      '--epochs',
      '60',
      '--out',
      out,
      '--json',
    ]);
    expect(r.err()).not.toMatch(/nerve: /);
    const s = r.last();
    expect(s.testAccuracy).toBeNull(); // NaN in JSON: no accuracy for regression
    // Predicting the mean gives RMSE ≈ the target's std (≈ 10.4k); the noise floor is 500.
    expect(s.testRmse).toBeLessThan(2500);
    const p = await cli(['predict', '--checkpoint', out, '--csv', path, '--json']);
    expect(p.code).toBe(0);
    const summary = p.last();
    expect(summary.task).toBe('regression');
    expect(summary.rmse).toBeLessThan(2500);
    const first = p.lines()[0];
    const truth = Number(rows[0].split(',')[3]);
    expect(Math.abs(first.prediction - truth)).toBeLessThan(4 * 2500);
  });
});
