/**
 * `--report FILE.html` of nerve train, lr-find and tune: the report's data
 * match what the run measured, the page is written atomically, is
 * self-contained and holds every figure, and a report adds no live tensor.
 */
import '@nerve/backend-cpu';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memory } from '@nerve/core';
import { DIAGNOSE_DEFAULTS } from '@nerve/metrics';
import {
  type Figure,
  type HistogramFigure,
  type LineFigure,
  type Report,
  escapeHtml,
} from '@nerve/plot';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTrainArgs } from '../src/args.js';
import { parseLrFindArgs, runLrFind } from '../src/lr-find-command.js';
import { main } from '../src/main.js';
import { ActivationSnapshots, snapshotEpochs } from '../src/reports/activation-snapshots.js';
import { lrFindReport } from '../src/reports/lr-find-report.js';
import { bestSoFar, tuneReport } from '../src/reports/tune-report.js';
import { runTrain } from '../src/train-command.js';
import { parseTuneArgs, runTune } from '../src/tune-command.js';
import { writeTextAtomic } from '../src/write-file.js';
import { capture } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-reports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quiet = { log: () => {}, warn: () => {}, progress: { write: () => true } };
const figures = (r: Report): Figure[] => r.sections.flatMap((s) => s.figures ?? []);
const figure = <F extends Figure>(r: Report, id: string) => {
  const f = figures(r).find((x) => x.id === id);
  expect(f, `figure '${id}'`).toBeDefined();
  return f as F;
};

/** The page is one file that needs nothing else: every figure inline, no script, no URL. */
function checkPage(path: string, report: Report): void {
  const html = readFileSync(path, 'utf8');
  expect(html).toMatch(/^<!DOCTYPE html>/i);
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
  expect(html).not.toMatch(/url\(/i);
  // One <figure> with an inline <svg> per figure of the report.
  const inline = html.match(/<figure>\s*<svg[\s>]/g) ?? [];
  expect(inline.length).toBe(figures(report).length);
  // Figure titles are drawn in the SVG (an XML serializer escapes only &, < and >).
  const xmlText = (t: string) =>
    t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  for (const f of figures(report)) {
    expect([
      html.includes(escapeHtml(f.title)) || html.includes(xmlText(f.title)),
      f.title,
    ]).toEqual([true, f.title]);
  }
  for (const s of report.sections) expect(html).toContain(escapeHtml(s.heading));
  // Written through a temporary that was renamed: none is left beside it.
  expect(readdirSync(dir).filter((n) => /\.tmp-\d/.test(n))).toEqual([]);
}

describe('nerve train --report', () => {
  it("holds the run's curves, update ratios, activation histograms and diagnosis", async () => {
    const path = join(dir, 'run.html');
    writeFileSync(path, 'an older report');
    let report: Report | undefined;
    const args = parseTrainArgs([
      '--epochs',
      '3',
      '--hidden',
      '16,16',
      '--activation',
      'tanh',
      '--report',
      path,
    ]);
    const r = await runTrain(args, { ...quiet, onReport: (x) => void (report = x) });
    expect(r.report).toBe(path);
    if (!report) throw new Error('no report');
    checkPage(path, report);

    const h = r.history;
    const loss = figure<LineFigure>(report, 'loss');
    expect(loss.series.map((s) => [s.name, s.x, s.y])).toEqual([
      ['train', [1, 2, 3], h.map((e) => e.trainLoss)],
      ['val', [1, 2, 3], h.map((e) => e.valLoss)],
    ]);
    const acc = figure<LineFigure>(report, 'accuracy');
    expect(acc.series[1].y).toEqual(h.map((e) => e.valAccuracy));
    expect(figure<LineFigure>(report, 'lr').series[0].y).toEqual([3e-3, 3e-3, 3e-3]);
    const steps = figure<LineFigure>(report, 'step-loss').series[0];
    expect(steps.y).toEqual(h.flatMap((e) => e.stepLosses));

    // One line per weight matrix (two hidden layers and the output), on a log axis, with diagnose's band.
    const ratio = figure<LineFigure>(report, 'update-ratio');
    expect(ratio.y.log).toBe(true);
    expect(ratio.series.map((s) => s.name)).toEqual([
      '1.weight (linear 64→16)',
      '3.weight (linear 16→16)',
      '5.weight (linear 16→10)',
    ]);
    expect(ratio.series[1].y).toEqual(h.map((e) => e.monitors?.['updateRatio/param/3.weight']));
    expect(ratio.bands).toEqual([
      expect.objectContaining({
        y1: DIAGNOSE_DEFAULTS.updateRatioLow,
        y2: DIAGNOSE_DEFAULTS.updateRatioHigh,
      }),
    ]);

    // Histograms at the first, middle and last epoch, one panel per tanh layer over [-1, 1].
    const hists = figures(report).filter((f): f is HistogramFigure => f.kind === 'histogram');
    expect(hists.map((f) => f.id)).toEqual([
      'activations-epoch-1',
      'activations-epoch-2',
      'activations-epoch-3',
    ]);
    for (const f of hists) {
      expect(f.panels.map((p) => p.name)).toEqual(['layer 2 (tanh)', 'layer 4 (tanh)']);
      for (const p of f.panels) {
        expect(p.edges).toHaveLength(p.counts.length + 1);
        expect([p.edges[0], p.edges[p.edges.length - 1]]).toEqual([-1, 1]);
        // Fractions of the layer's outputs: tanh's all lie in [-1, 1].
        expect(p.counts.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      }
    }
    // The last epoch's histogram is the one the history recorded for it.
    const lastHist = hists[2].panels[0].counts;
    expect(lastHist).toEqual(
      lastHist.map((_, i) => h[2].monitors?.[`activation/layer/2/hist/${i}`]),
    );

    const diagnosis = report.sections.find((s) => s.heading === 'Diagnosis');
    expect(diagnosis?.findings?.map((f) => f.held)).toEqual(
      r.diagnosis.map((d) => d.severity === 'info'),
    );
  });

  it('adds no live tensor: a run leaves the same count behind with a report as without', async () => {
    const delta = async (extra: string[]) => {
      const before = memory().numTensors;
      await runTrain(parseTrainArgs(['--epochs', '2', '--hidden', '8', ...extra]), quiet);
      return memory().numTensors - before;
    };
    await delta([]); // warm-up
    const without = await delta([]);
    expect(await delta(['--report', join(dir, 'mem.html')])).toBe(without);
  });

  it.each([
    [
      ['train', '--report', 'run.txt'],
      /--report: expected a path ending in .html, received 'run.txt'/,
    ],
    [['lr-find', '--report', 'lr.svg'], /--report: expected a path ending in .html/],
    [['tune', '--report', 'study'], /--report: expected a path ending in .html/],
  ])('%j is a usage error', async (argv, message) => {
    const c = capture();
    expect(await main(argv as string[], c.io)).toBe(2);
    expect(c.err()).toMatch(message);
  });

  it('refuses a report it cannot write before training', async () => {
    const c = capture();
    const path = join(dir, 'no-such-folder', 'run.html');
    expect(await main(['train', '--epochs', '40', '--report', path], c.io)).toBe(1);
    expect(c.err()).toMatch(/--report: expected a file path in an existing, writable folder/);
    expect(c.out()).not.toMatch(/epoch 1\//);
  });
});

describe('nerve lr-find --report', () => {
  it('draws the loss against a log learning-rate axis with the suggestion marked', async () => {
    const path = join(dir, 'lr.html');
    const r = await runLrFind(parseLrFindArgs(['--steps', '40', '--report', path]));
    const report = lrFindReport(r);
    checkPage(path, report);
    const f = figure<LineFigure>(report, 'lr-find');
    expect(f.x.log).toBe(true);
    const [loss, smoothed, mark] = f.series;
    const shown = f.y.domain as [number, number];
    expect(loss.x).toEqual(r.lrs.filter((_, i) => !Number.isNaN(r.losses[i])));
    // Values above the top of the axis are drawn at it; the rest as measured.
    expect(smoothed.y).toEqual(
      r.smoothed.filter((v) => !Number.isNaN(v)).map((v) => Math.min(v, shown[1])),
    );
    expect(mark.x).toEqual([r.suggestion, r.suggestion]);
    expect(report.sections[0].findings?.[0].held).toBe(
      r.suggestion >= r.lrs[0] && r.suggestion <= r.lrs[r.lrs.length - 1],
    );
  });
});

describe('nerve tune --report', () => {
  it('plots the objective per hyperparameter (log where sampled in log space), the best so far and the rungs', async () => {
    const path = join(dir, 'study.html');
    const args = parseTuneArgs(['--trials', '6', '--epochs', '3', '--halving', '--report', path]);
    const r = await runTune(args, () => {});
    expect(r.report).toBe(path);
    // ASHA with r = 1, η = 3 and R = 3 epochs has one rung, at epoch 1.
    const report = tuneReport({ result: r, rungs: [1] });
    checkPage(path, report);
    const axes = Object.fromEntries(
      figures(report)
        .filter((f): f is LineFigure => f.kind === 'line' && f.id.startsWith('objective-'))
        .map((f) => [f.id, f.x.log === true]),
    );
    expect(axes).toEqual({
      'objective-lr': true,
      'objective-weightDecay': true,
      'objective-hidden': true,
      'objective-batchSize': false,
    });
    const best = figure<LineFigure>(report, 'best-so-far').series[1];
    let running = Number.POSITIVE_INFINITY;
    const ok = [...r.trials]
      .sort((a, b) => a.id - b.id)
      .filter((t) => Number.isFinite(t.objective));
    expect(best.y).toEqual(ok.map((t) => (running = Math.min(running, t.objective))));
    expect(bestSoFar(r.trials, 'max').y.every((v, i, a) => i === 0 || v >= a[i - 1])).toBe(true);
    const rungs = report.sections.find((s) => s.heading === 'ASHA')?.tables?.[0];
    const pruned = r.trials.filter((t) => t.status === 'pruned').length;
    expect(rungs?.rows).toEqual([[1, 6, pruned, 6 - pruned]]);
  });
});

describe('ActivationSnapshots', () => {
  it('keeps the first, middle and last epoch, and the last one reached when training stops early', () => {
    expect([1, 2, 3, 10].map(snapshotEpochs)).toEqual([[1], [1, 2], [1, 2, 3], [1, 5, 10]]);
    const run = (planned: number, reached: number) => {
      const monitor: { lastEpoch: object } = { lastEpoch: {} };
      const keep = new ActivationSnapshots(monitor as never, planned);
      for (let epoch = 1; epoch <= reached; epoch++) {
        // A fresh object per epoch, as the monitor's endEpoch makes.
        monitor.lastEpoch = { '2': { epoch } };
        keep.onEpochEnd({ epoch, trainLoss: 1 });
      }
      return keep
        .snapshots()
        .map((s) => [s.epoch, (s.layers['2'] as unknown as { epoch: number }).epoch]);
    };
    expect(run(10, 10)).toEqual([
      [1, 1],
      [5, 5],
      [10, 10],
    ]);
    expect(run(10, 3)).toEqual([
      [1, 1],
      [3, 3],
    ]);
    expect(run(10, 7)).toEqual([
      [1, 1],
      [5, 5],
      [7, 7],
    ]);
  });
});

describe('writeTextAtomic (what --report writes with)', () => {
  it('replaces a file whole, and on failure leaves what was there and no temporary', () => {
    const path = join(dir, 'page.html');
    writeTextAtomic('report', path, 'one');
    writeTextAtomic('report', path, 'two');
    expect(readFileSync(path, 'utf8')).toBe('two');
    const blocked = join(dir, 'blocked.html');
    mkdirSync(join(blocked, 'inside'), { recursive: true });
    expect(() => writeTextAtomic('report', blocked, 'x')).toThrow(
      /--report: expected a writable file path, received '.*blocked.html'/,
    );
    expect(existsSync(join(blocked, 'inside'))).toBe(true);
    expect(readdirSync(dir).filter((n) => /\.tmp-\d/.test(n))).toEqual([]);
  });
});
