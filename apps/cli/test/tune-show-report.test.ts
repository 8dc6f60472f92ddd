/** The data of `nerve tune show --report`: every trial in the table and the figure, the best marked. */
import type { LineFigure } from '@nerve/plot';
import type { ShownStudy, StoredTrial } from '@nerve/tune';
import { describe, expect, it } from 'vitest';
import { tuneShowReport } from '../src/reports/tune-show-report.js';

const trial = (
  id: number,
  state: StoredTrial['state'],
  values: number[],
  value: number | null,
): StoredTrial => ({
  id,
  state,
  params: { lr: 10 ** -(id + 1), epochs: 4 },
  value,
  intermediate: values.map((v, i) => ({ epoch: i + 1, value: v })),
  worker: state === 'queued' ? null : `h:${100 + id}:cpu`,
  attempts: state === 'queued' ? (values.length > 0 ? 1 : 0) : 1,
  record: null,
});

// Ten trials: complete, pruned (one lower than every complete value: it must not be the best),
// running, queued after an interruption (epochs stored) and queued untouched.
const trials: StoredTrial[] = [
  trial(0, 'complete', [2, 1.5, 1.2, 1.1], 1.1),
  trial(1, 'complete', [1.8, 1.0, 0.7, 0.6], 0.6),
  trial(2, 'pruned', [0.5], 0.5),
  trial(3, 'complete', [3, 2.5, 2.2, 2.0], 2.0),
  trial(4, 'queued', [1.9, 1.4], null),
  trial(5, 'running', [2.2], null),
  trial(6, 'pruned', [3.1], 3.1),
  trial(7, 'complete', [1.5, 1.1, 0.9, 0.8], 0.8),
  trial(8, 'pruned', [2.8], 2.8),
  trial(9, 'queued', [], null),
];
const study = (mode: 'min' | 'max'): ShownStudy => ({
  name: 's',
  location: '/tmp/s.jsonl',
  header: {
    type: 'study',
    format: 1,
    space: '[]',
    seed: 0,
    searcher: { kind: 'random', trials: 10 },
    metric: 'valLoss',
    mode,
    pruners: [],
  },
  trials,
});

describe('tune show --report', () => {
  it('lists every trial, draws every stored curve, and marks the best complete trial', () => {
    const r = tuneShowReport(study('min'));
    const table = r.sections[0].tables?.[0];
    expect(table?.rows.map((row) => row[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const best = table?.columns.indexOf('best') as number;
    expect(table?.rows.filter((row) => row[best] === '★').map((row) => row[0])).toEqual([1]);
    const state = table?.columns.indexOf('state') as number;
    expect(table?.rows[4][state]).toBe('queued (interrupted)');
    expect(table?.rows[9][state]).toBe('queued');
    const fig = r.sections[1].figures?.[0] as LineFigure;
    // Every trial with a stored epoch has its curve, exactly its stored values.
    expect(fig.series.length).toBe(9);
    for (const t of trials.filter((t) => t.intermediate.length > 0)) {
      const s = fig.series.find((s) => s.name.startsWith(`trial ${t.id} `));
      expect(s?.x).toEqual(t.intermediate.map((e) => e.epoch));
      expect(s?.y).toEqual(t.intermediate.map((e) => e.value));
    }
    expect(fig.series.find((s) => s.name.startsWith('trial 1 '))?.name).toBe('trial 1 ★ best');
    expect(fig.series.find((s) => s.name.startsWith('trial 4 '))?.name).toBe(
      'trial 4 queued (interrupted)',
    );
    // Eight named (the best and the next seven by last value), the one left grey is the worst.
    const grey = fig.series.filter((s) => s.legend === false).map((s) => s.name);
    expect(grey).toEqual(['trial 6 pruned']);
    expect(r.subtitle).toBe('best: trial 1, valLoss 0.6');
  });

  it('takes the largest value as the best when the mode is max', () => {
    const r = tuneShowReport(study('max'));
    expect(r.subtitle).toBe('best: trial 3, valLoss 2');
  });
});
