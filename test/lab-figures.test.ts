/**
 * scripts/lab-figures.ts (`pnpm lab:figures`) with toy experiments: one SVG
 * per figure named <experiment>-<figure>.svg, stale ones of the same
 * experiment removed, another experiment's files left alone.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Experiment, LabData } from '@nerve/lab';
import type { Figure } from '@nerve/plot';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLabFigures } from '../scripts/lab-figures.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-lab-figures-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const noData: LabData = {
  digits: () => Promise.reject(new Error('no data here')),
  fashionMnist: () => Promise.reject(new Error('no data here')),
};

const line = (id: string, title: string): Figure => ({
  kind: 'line',
  id,
  title,
  x: { label: 'x' },
  y: { label: 'y' },
  series: [{ name: 's', x: [0, 1, 2], y: [0, 1, 4] }],
});

const toy = (id: string, figures: Figure[]): Experiment => ({
  id,
  title: id,
  claim: 'c',
  topic: 't',
  seed: 0,
  params: {},
  run: async () => ({
    findings: [{ statement: 's', measured: 'm', held: true }],
    tables: [],
    figures,
  }),
});

describe('lab-figures', () => {
  it('writes one SVG per figure and removes the experiment’s stale ones only', async () => {
    writeFileSync(join(dir, 'toy-old.svg'), '<svg/>');
    writeFileSync(join(dir, 'toy-b-kept.svg'), '<svg/>');
    // Only `toy` runs; `toy-b` is another registered experiment whose files stay.
    const runs = await writeLabFigures(
      [toy('toy', [line('loss', 'Loss curve'), line('ratio', 'Ratio')])],
      dir,
      noData,
      () => {},
      ['toy', 'toy-b'],
    );
    expect(runs.map((r) => [r.id, r.files])).toEqual([['toy', ['toy-loss.svg', 'toy-ratio.svg']]]);
    expect(readdirSync(dir).sort()).toEqual(['toy-b-kept.svg', 'toy-loss.svg', 'toy-ratio.svg']);
    const svg = readFileSync(join(dir, 'toy-loss.svg'), 'utf8');
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain('Loss curve');
    // Run alone, `toy-b` (no figures now) removes its stale file.
    await writeLabFigures([toy('toy-b', [])], dir, noData, () => {}, ['toy', 'toy-b']);
    expect(existsSync(join(dir, 'toy-b-kept.svg'))).toBe(false);
    expect(existsSync(join(dir, 'toy-loss.svg'))).toBe(true);
  });

  it('refuses figure ids that are not safe file names', async () => {
    await expect(writeLabFigures([toy('toy', [line('../x', 'X')])], dir, noData)).rejects.toThrow(
      /figure id '\.\.\/x' of toy is not a safe file name/,
    );
  });
});
