/**
 * Tables of the user's own (table.ts): header row, string and numeric
 * labels, categorical columns one-hot, missing values refused with line and
 * column or imputed from the fitted rows only, `;` and quoted fields.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkTableEncoding,
  encodeTable,
  fitTableEncoding,
  loadTable,
  parseTable,
} from '../src/index.js';

const IRIS = `sepal_length,sepal_width,colour,species
5.1,3.5,red,setosa
7.0,3.2,blue,versicolor
6.3,3.3,red,virginica
4.9,3.0,green,setosa
`;

describe('parseTable', () => {
  it('reads the header and trimmed cells, with line numbers', () => {
    const t = parseTable(IRIS, 'iris.csv');
    expect(t.columns).toEqual(['sepal_length', 'sepal_width', 'colour', 'species']);
    expect(t.rows).toHaveLength(4);
    expect(t.rows[2]).toEqual(['6.3', '3.3', 'red', 'virginica']);
    expect(t.lines).toEqual([2, 3, 4, 5]);
    expect(t.delimiter).toBe(',');
  });

  it('detects ; and tab separators and reads quoted fields, quoted numbers included', () => {
    const semi = parseTable('a;b;"c; d"\n"1,5";"2";"x ""y"""\n', 's.csv');
    expect(semi.delimiter).toBe(';');
    expect(semi.columns).toEqual(['a', 'b', 'c; d']);
    expect(semi.rows[0]).toEqual(['1,5', '2', 'x "y"']);
    const tab = parseTable('a\tb\n1\t2\n');
    expect(tab.delimiter).toBe('\t');
    expect(tab.rows[0]).toEqual(['1', '2']);
  });

  it('counts lines across blank lines and multi-line quoted fields', () => {
    const t = parseTable('a,b\n1,2\n\n"x\ny",3\n4,5\n');
    expect(t.lines).toEqual([2, 4, 6]);
  });

  it('refuses ragged rows, unclosed quotes, duplicate or empty names, naming the source', () => {
    expect(() => parseTable('a,b\n1,2,3\n', 'f.csv')).toThrow(/parseTable: f\.csv: .*line 2/);
    expect(() => parseTable('a,b\n"1,2\n', 'f.csv')).toThrow(
      /parseTable: f\.csv: Quote Not Closed/,
    );
    expect(() => parseTable('a,a\n1,2\n', 'f.csv')).toThrow(/distinct column names.*'a' twice/);
    expect(() => parseTable('a,,c\n1,2,3\n', 'f.csv')).toThrow(/column 2 unnamed/);
    expect(() => parseTable('', 'f.csv')).toThrow(/a header row in f\.csv/);
    expect(() => parseTable('a,b\n', 'f.csv')).toThrow(/rows after the header/);
  });
});

describe('fitTableEncoding and encodeTable', () => {
  it('one-hot encodes string columns and names classes in order', () => {
    const t = parseTable(IRIS, 'iris.csv');
    const e = fitTableEncoding(t, { label: 'species' });
    expect(e.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(e.features).toEqual([
      'sepal_length',
      'sepal_width',
      'colour=blue',
      'colour=green',
      'colour=red',
    ]);
    const { x, y, rows, features } = encodeTable(t, e);
    expect([rows, features]).toEqual([4, 5]);
    expect([...y]).toEqual([0, 1, 2, 0]);
    expect([...x.slice(5, 10)]).toEqual([7, Math.fround(3.2), 1, 0, 0]);
    expect([...x.slice(15, 20)]).toEqual([Math.fround(4.9), 3, 0, 1, 0]);
  });

  it('orders integer class labels numerically, so label 10 is not before 2', () => {
    const t = parseTable('f,y\n1,10\n2,2\n3,1\n');
    expect(fitTableEncoding(t, { label: 'y' }).classes).toEqual(['1', '2', '10']);
  });

  it('refuses a missing feature with line and column, and imputes from the fitted rows only', () => {
    const text = 'x,c,y\n1,a,0\n3,,1\n,b,0\n100,b,1\n';
    const t = parseTable(text, 'm.csv');
    const refuse = fitTableEncoding(t, { label: 'y' });
    expect(() => encodeTable(t, refuse)).toThrow(
      /encodeTable: m\.csv line 3, column 2 \('c'\): expected a value, received missing ''/,
    );
    // Fitted on rows 0–2 (the "training" rows): the mean of 1 and 3, not of 100.
    const e = fitTableEncoding(t, { label: 'y', missing: 'mean' }, [0, 1, 2]);
    const num = e.columns[0];
    expect(num.kind === 'numeric' && num.fill).toBe(2);
    const cat = e.columns[1];
    // Rows 0–2 hold a once and b once: the tie goes to the first in order.
    expect(cat.kind === 'categorical' && cat.fill).toBe('a');
    const { x } = encodeTable(t, e);
    expect([...x.slice(0, 3)]).toEqual([1, 1, 0]);
    expect([...x.slice(3, 6)]).toEqual([3, 1, 0]); // c missing → a
    expect([...x.slice(6, 9)]).toEqual([2, 0, 1]); // x missing → 2
  });

  it('reads a regression target as float32 and refuses a non-number target', () => {
    const t = parseTable('a,price\n1,2.5\n2,"3.25"\n');
    const e = fitTableEncoding(t, { label: 'price', task: 'regression' });
    expect(e.classes).toBeNull();
    const { y } = encodeTable(t, e);
    expect(y).toBeInstanceOf(Float32Array);
    expect([...y]).toEqual([2.5, 3.25]);
    const bad = parseTable('a,price\n1,2.5\n2,cheap\n', 'p.csv');
    expect(() => fitTableEncoding(bad, { label: 'price', task: 'regression' })).toThrow(
      /p\.csv line 3, column 2 \('price'\): expected a number \(regression target\), received 'cheap'/,
    );
  });

  it('forces categorical columns, ignores columns, and names unknown ones', () => {
    const t = parseTable('id,zip,y\n1,10115,a\n2,80331,b\n', 'z.csv');
    const e = fitTableEncoding(t, { label: 'y', categorical: ['zip'], ignore: ['id'] });
    expect(e.features).toEqual(['zip=10115', 'zip=80331']);
    expect(() => fitTableEncoding(t, { label: 'species' })).toThrow(
      /label one of the columns of z\.csv \(id, zip, y\).*'species'/,
    );
    expect(() => fitTableEncoding(t, { label: 'y', ignore: ['y'] })).toThrow(
      /label column not ignored/,
    );
    expect(() => fitTableEncoding(t, { label: 'y', ignore: ['id', 'zip'] })).toThrow(
      /at least one feature column/,
    );
  });

  it('refuses a missing label whatever the missing-value policy', () => {
    const t = parseTable('a,y\n1,x\n2,NA\n', 'l.csv');
    expect(() => fitTableEncoding(t, { label: 'y', missing: 'mean' })).toThrow(
      /l\.csv line 3, column 2 \('y'\): expected a label, received missing 'NA'/,
    );
  });

  it('encodes new data for prediction with the stored encoding, refusing unseen categories', () => {
    const e = fitTableEncoding(parseTable(IRIS), { label: 'species' });
    const back = checkTableEncoding('test', JSON.parse(JSON.stringify(e)));
    const fresh = parseTable('colour;sepal_width;sepal_length\nblue;3;6\n', 'new.csv');
    const { x, y } = encodeTable(fresh, back, undefined, { labels: false });
    expect(y).toHaveLength(0);
    expect([...x]).toEqual([6, 3, 1, 0, 0]);
    const unseen = parseTable('sepal_length,sepal_width,colour\n1,2,purple\n', 'u.csv');
    expect(() => encodeTable(unseen, back, undefined, { labels: false })).toThrow(
      /u\.csv line 2, column 3 \('colour'\): expected one of 'blue', 'green', 'red', received 'purple'/,
    );
    const lacking = parseTable('sepal_length,colour\n1,red\n', 'v.csv');
    expect(() => encodeTable(lacking, back, undefined, { labels: false })).toThrow(
      /a column 'sepal_width' in v\.csv/,
    );
  });

  it('checkTableEncoding refuses encodings whose names do not add up', () => {
    const e = fitTableEncoding(parseTable(IRIS), { label: 'species' });
    expect(() => checkTableEncoding('op', { ...e, features: e.features.slice(1) })).toThrow(
      /op: expected a table encoding, received 4 feature names for 5 inputs/,
    );
    expect(() => checkTableEncoding('op', { ...e, classes: null })).toThrow(/no class names/);
    expect(() => checkTableEncoding('op', null)).toThrow(/received null/);
  });
});

describe('loadTable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nerve-table-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads plain and gzipped files with a byte-order mark', () => {
    const plain = join(dir, 'iris.csv');
    writeFileSync(plain, `\ufeff${IRIS}`);
    const gz = join(dir, 'iris.csv.gz');
    writeFileSync(gz, gzipSync(IRIS));
    for (const p of [plain, gz]) {
      const t = loadTable(p);
      expect(t.columns[0]).toBe('sepal_length');
      expect(t.rows).toHaveLength(4);
      expect(t.source).toBe(p);
    }
  });

  it('names the path of a missing file', () => {
    expect(() => loadTable(join(dir, 'nope.csv'))).toThrow(/loadTable: .*nope\.csv/);
  });
});
