import { describe, expect, it } from 'vitest';
import type { Figure, LineFigure } from '../src/figure.js';
import { formatTable, textPlot } from '../src/index.js';
import { bars, heatmaps, histograms, images, lineLog } from './figures.js';

const range = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

/** The plot area's rows (between the title and the x axis), without the y labels. */
function area(out: string): string[] {
  const lines = out.split('\n');
  const end = lines.findIndex((l) => l.includes('└'));
  return lines.slice(1, end).map((l) => l.slice(l.search(/[┤│]/) + 1));
}

const line = (y: (x: number) => number, log = false): LineFigure => ({
  kind: 'line',
  id: 'l',
  title: 'T',
  x: { label: 'x' },
  y: { label: 'y', log },
  series: [{ name: 's', x: range(41, (i) => i / 10), y: range(41, (i) => y(i / 10)) }],
});

describe('textPlot', () => {
  it('draws an increasing series low on the left and high on the right', () => {
    const rows = area(
      textPlot(
        line((x) => x),
        { width: 40, height: 10 },
      ),
    );
    expect(rows).toHaveLength(10);
    const top = rows[0] as string;
    const bottom = rows[9] as string;
    expect(top.indexOf('*')).toBeGreaterThanOrEqual(20);
    expect(bottom.indexOf('*')).toBe(0);
    expect(bottom.lastIndexOf('*')).toBeLessThan(20);
    // A joined line: every column has a mark.
    for (let c = 0; c < 40; c++) expect(rows.some((r) => r[c] === '*')).toBe(true);
  });

  it('respects a log axis: 10^x is a straight diagonal there', () => {
    const f = (x: number) => 10 ** x;
    const mid = (rows: string[]) => (rows[Math.floor(rows.length / 2)] as string).indexOf('*');
    const logRows = area(textPlot(line(f, true), { width: 40, height: 11 }));
    // Row 5 of 0..10 is half way up in log10 space: x = 2, column 20 of 0..39.
    expect(Math.abs(mid(logRows) - 19.5)).toBeLessThanOrEqual(1.5);
    // On a linear axis the same curve hugs the floor until the far right.
    expect(mid(area(textPlot(line(f), { width: 40, height: 11 })))).toBeGreaterThan(33);
    expect(textPlot(line(f, true))).toContain('y: y (log)');
  });

  it('gives each series its own character and a legend', () => {
    const out = textPlot(lineLog);
    expect(out).toContain('* train  + val  · target band');
    const rows = area(out).join('\n');
    expect(rows).toContain('*');
    expect(rows).toContain('+');
    expect(rows).toContain('·');
  });

  it('says how many values a log axis left off', () => {
    const fig: Figure = {
      ...lineLog,
      series: [{ name: 'a', x: [1, 2, 3], y: [1, 0, -1] }],
      bands: [],
    };
    expect(textPlot(fig)).toContain('(2 non-positive values left off the log axis)');
  });

  it('draws a histogram as one row of blocks per panel, tallest bin full', () => {
    const out = textPlot(histograms).split('\n');
    expect(out[0]).toBe('Activations per layer');
    const rows = out.slice(1, 5);
    for (const [i, r] of rows.entries()) {
      expect(r.startsWith(`layer ${i + 1}`)).toBe(true);
      // Names are padded to the longest ('layer 1'), then two spaces.
      const blocks = r.slice('layer 1  '.length, 'layer 1  '.length + 10);
      // Bins 4 and 5 are the highest (the counts peak at 4.5).
      expect(blocks[4]).toBe('█');
      expect(blocks[5]).toBe('█');
      expect(blocks[0]).not.toBe('█');
    }
  });

  it('draws bars with lengths proportional to the values', () => {
    const out = textPlot(bars, { width: 50 }).split('\n');
    const len = (label: string) =>
      out.find((l) => l.startsWith(label))?.match(/█+/)?.[0].length ?? 0;
    expect(len('lr 0.1 · with BN')).toBe(50);
    expect(len('lr 3 · without BN')).toBe(Math.round((0.103 / 0.95) * 50));
  });

  it('prints small matrices as numbers and images as shades', () => {
    expect(textPlot(heatmaps)).toContain('    4 1.5\n  1.5   1');
    const img = textPlot(images).split('\n');
    expect(img[1]).toBe('digit 0 (8×8)');
    expect((img[2] as string).trim().length).toBeGreaterThan(0);
    expect(img[2]).toMatch(/^ {2}[ ░▒▓█]{16}$/);
  });

  it('refuses sizes out of range', () => {
    expect(() => textPlot(lineLog, { width: 3 })).toThrow(
      /textPlot: expected an integer size from 10 to 1000, received number 3/,
    );
  });
});

describe('formatTable', () => {
  it('aligns numbers right and text left, with a rule under the header', () => {
    const out = formatTable({
      title: 'Transfer',
      columns: ['k', 'method', 'accuracy'],
      rows: [
        [5, 'scratch', 0.86721],
        [200, 'frozen + head', null],
      ],
    });
    expect(out.split('\n')).toEqual([
      'Transfer',
      '  k  method         accuracy',
      '───  ─────────────  ────────',
      '  5  scratch          0.8672',
      '200  frozen + head         –',
    ]);
  });

  it('refuses rows longer than the header', () => {
    expect(() => formatTable({ columns: ['a'], rows: [[1, 2]] })).toThrow(
      /formatTable: expected rows of at most 1 cells/,
    );
  });
});
