/**
 * CSV cells are read strictly: non-finite features are refused unless asked
 * for, labels are plain decimal integers within int32, and every refusal
 * names the line and column.
 */
import '@nerve/backend-cpu';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NerveError } from '@nerve/core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCsv } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function csv(text: string): string {
  const p = join(dir, `f${n++}.csv`);
  writeFileSync(p, text);
  return p;
}

function refusal(text: string, opts = {}): string {
  try {
    const r = loadCsv(csv(text), opts);
    r.x.dispose();
    r.y.dispose();
  } catch (e) {
    expect(e).toBeInstanceOf(NerveError);
    return (e as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(text)}`);
}

function load(text: string, opts = {}): { x: number[]; y: number[] } {
  const r = loadCsv(csv(text), opts);
  const out = { x: Array.from(r.x.dataSync()), y: Array.from(r.y.dataSync()) };
  r.x.dispose();
  r.y.dispose();
  return out;
}

describe('non-finite features', () => {
  it.each([
    ['nan', /non-finite value 'nan' \(NaN\) at line 2, column 2/],
    ['NaN', /'NaN' \(NaN\) at line 2, column 2/],
    ['inf', /'inf' \(Infinity\) at line 2, column 2/],
    ['-Infinity', /'-Infinity' \(-Infinity\) at line 2, column 2/],
    ['1e999', /'1e999' \(Infinity\) at line 2, column 2/],
    ['1e39', /'1e39' \(Infinity in float32\) at line 2, column 2/],
  ])('%s is refused by default, naming line and column', (cell, re) => {
    const message = refusal(`1,2,0\n3,${cell},1\n`);
    expect(message).toMatch(re);
    expect(message).toMatch(/pass \{ allowNonFinite: true \}/);
  });

  it('allowNonFinite keeps them as NaN and ±Infinity', () => {
    const r = load('nan,inf,0\n-inf,1e999,1\n1e39,-1e39,2\n', { allowNonFinite: true });
    expect(r.x).toEqual([Number.NaN, Infinity, -Infinity, Infinity, Infinity, -Infinity]);
    expect(r.y).toEqual([0, 1, 2]);
  });

  it('still refuses words, hexadecimal and quoted cells as non-numeric', () => {
    expect(refusal('1,0x10,0\n', { allowNonFinite: true })).toMatch(
      /non-numeric value '0x10' at line 1, column 2 \(only decimal numbers are read\)/,
    );
    expect(refusal('1,"2",0\n')).toMatch(/'"2"' at line 1, column 2 \(quoted values/);
    expect(refusal('1,1_000,0\n')).toMatch(/non-numeric value '1_000' at line 1, column 2/);
  });

  it('reads every decimal spelling Python reads', () => {
    const r = load('+1.5,-.5,5.,1E3,2e-1,0\n');
    expect(r.x).toEqual([1.5, -0.5, 5, 1000, Math.fround(0.2)]);
  });
});

describe('labels', () => {
  it.each([
    ['3000000000', /label 3000000000 at line 2, column 3 is above the int32 maximum 2147483647/],
    ['2147483648', /label 2147483648 at line 2, column 3 is above the int32 maximum/],
    ['0x10', /label '0x10' at line 2, column 3 is not a non-negative decimal integer/],
    ['1e3', /label '1e3' at line 2, column 3 is not/],
    ['+5', /label '\+5' at line 2, column 3 is not/],
    ['-1', /label '-1' at line 2, column 3 is not/],
    ['5.0', /label '5\.0' at line 2, column 3 is not/],
    ['nan', /label 'nan' at line 2, column 3 is not/],
    ['', /an empty label at line 2, column 3 is not/],
  ])('%j is refused, naming line and column', (cell, re) => {
    expect(refusal(`1,2,0\n3,4,${cell}\n`, { allowNonFinite: true })).toMatch(re);
  });

  it('accepts decimal integers up to 2³¹−1, leading zeros and spaces around cells', () => {
    const r = load('1,2147483647\n2, 007 \n3,0\n');
    expect(r.y).toEqual([2147483647, 7, 0]);
    expect(r.x).toEqual([1, 2, 3]);
  });
});

describe('empty data', () => {
  it.each([
    ['an empty file', ''],
    ['blank lines', '\n \r\n\n'],
    ['a header alone', 'a,b,label\n'],
  ])('%s is refused', (_, text) => {
    expect(refusal(text, { header: true })).toMatch(/no data rows/);
  });
});
