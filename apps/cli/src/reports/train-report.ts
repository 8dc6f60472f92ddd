/**
 * What `nerve train --report` shows, as data (a @nerve/plot Report; nothing
 * here renders): loss and accuracy for train and val, the learning rate, the
 * update/weight ratio per layer against its healthy band around 1e-3,
 * activation histograms per layer at the start, middle and end of training,
 * and the diagnosis. Everything comes from what the run already measured
 * (the history's monitor values and the activation monitor's last epochs),
 * so a report costs no extra pass over the data.
 */
import { type ActivationSummary, DIAGNOSE_DEFAULTS, type EpochRecord } from '@nerve/metrics';
import type { Figure, Finding, HistogramFigure, LineFigure, Report, Table } from '@nerve/plot';
import { formatNumber } from '@nerve/tune';
import { type ModelSpec, describeModel, planModel } from '../models.js';
import type { TrainResult } from '../train-result.js';
import type { ActivationSnapshot } from './activation-snapshots.js';

const UPDATE_PREFIX = 'updateRatio/param/';

/** A line of y per epoch, leaving out epochs without a finite value (a log axis needs y > 0). */
function perEpoch(
  history: EpochRecord[],
  name: string,
  y: (h: EpochRecord) => number | undefined,
  positive = false,
) {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const h of history) {
    const v = y(h);
    if (v === undefined || !Number.isFinite(v) || (positive && v <= 0)) continue;
    xs.push(h.epoch);
    ys.push(v);
  }
  return { name, x: xs, y: ys };
}

/** Loss per step, at fractional epochs (step i of n in epoch e at e − 1 + i/n). */
function stepLosses(history: EpochRecord[]) {
  const x: number[] = [];
  const y: number[] = [];
  for (const h of history) {
    const steps = h.stepLosses ?? [];
    for (const [i, v] of steps.entries()) {
      if (!Number.isFinite(v)) continue;
      x.push(h.epoch - 1 + (i + 1) / steps.length);
      y.push(v);
    }
  }
  return { name: 'train (per step)', x, y };
}

function lossFigures(history: EpochRecord[]): LineFigure[] {
  return [
    {
      kind: 'line',
      id: 'loss',
      title: 'Loss per epoch',
      caption:
        'Mean cross-entropy over the epoch (train) and on the held-out validation split. A val loss that rises while the train loss falls is overfitting.',
      x: { label: 'epoch', integer: true },
      y: { label: 'loss' },
      series: [
        perEpoch(history, 'train', (h) => h.trainLoss),
        perEpoch(history, 'val', (h) => h.valLoss),
      ],
    },
    {
      kind: 'line',
      id: 'step-loss',
      title: 'Loss per step',
      caption:
        "Every optimizer step's batch loss (log scale): its noise is the batch size's; its trend, the learning rate's (\"Babysitting the learning process\").",
      x: { label: 'epoch' },
      y: { label: 'batch loss', log: true },
      series: [stepLosses(history)].map((s) => ({
        ...s,
        x: s.x.filter((_, i) => s.y[i] > 0),
        y: s.y.filter((v) => v > 0),
      })),
    },
    {
      kind: 'line',
      id: 'accuracy',
      title: 'Accuracy per epoch',
      caption:
        'Train accuracy is counted during the epoch (dropout on, weights still moving); val accuracy after it. The gap between them is the overfitting to watch.',
      x: { label: 'epoch', integer: true },
      y: { label: 'accuracy', domain: [0, 1] },
      series: [
        perEpoch(history, 'train', (h) => h.trainAccuracy),
        perEpoch(history, 'val', (h) => h.valAccuracy),
      ],
    },
    {
      kind: 'line',
      id: 'lr',
      title: 'Learning rate',
      caption: 'The learning rate of the first parameter group at the end of each epoch.',
      x: { label: 'epoch', integer: true },
      y: { label: 'learning rate', log: true },
      series: [perEpoch(history, 'lr', (h) => h.lr, true)],
    },
  ];
}

/** The weight tensors whose update/weight ratio the history holds, in model order. */
function weightNames(history: EpochRecord[]): string[] {
  const names = new Set<string>();
  for (const h of history) {
    for (const k of Object.keys(h.monitors ?? {})) {
      if (k.startsWith(UPDATE_PREFIX) && k.endsWith('weight'))
        names.add(k.slice(UPDATE_PREFIX.length));
    }
  }
  const index = (n: string) => Number(n.split('.')[0]);
  return [...names].sort((a, b) => index(a) - index(b) || a.localeCompare(b));
}

function updateRatioFigure(history: EpochRecord[], spec: ModelSpec): LineFigure {
  const low = DIAGNOSE_DEFAULTS.updateRatioLow;
  const high = DIAGNOSE_DEFAULTS.updateRatioHigh;
  return {
    kind: 'line',
    id: 'update-ratio',
    title: 'Update/weight ratio per layer',
    caption: `‖Δw‖/‖w‖ of each weight matrix per optimizer step, averaged over the measured steps of each epoch. Around 1e-3 is healthy (Karpathy, CS231n); the band is diagnose's range [${formatNumber(low)}, ${formatNumber(high)}]: above it the learning rate is probably too high, below it too low.`,
    x: { label: 'epoch', integer: true },
    y: { label: 'update / weight', log: true },
    bands: [
      {
        label: `healthy: ${formatNumber(low)} to ${formatNumber(high)}, around 1e-3`,
        y1: low,
        y2: high,
      },
    ],
    series: weightNames(history).map((n) =>
      perEpoch(
        history,
        `${n}${layerSize(spec, n)}`,
        (h) => h.monitors?.[`${UPDATE_PREFIX}${n}`],
        true,
      ),
    ),
  };
}

/** ' (linear 64→128)' for a parameter of layer i of the spec's network, or nothing. */
function layerSize(spec: ModelSpec, param: string): string {
  const l = planModel(spec)[Number(param.split('.')[0])];
  if (l?.kind === 'linear' || l?.kind === 'maxout')
    return ` (${l.kind} ${l.inFeatures}→${l.outFeatures})`;
  if (l?.kind === 'conv') return ` (conv ${l.inChannels}→${l.outChannels})`;
  return '';
}

/** The layer's name as the report shows it: 'layer 2 (relu)'. */
function layerLabel(name: string, s: ActivationSummary): string {
  return s.activation ? `layer ${name} (${s.activation})` : `layer ${name}`;
}

function histogramFigure(snap: ActivationSnapshot, when: string): HistogramFigure {
  return {
    kind: 'histogram',
    id: `activations-epoch-${snap.epoch}`,
    title: `Activations per layer, epoch ${snap.epoch} (${when})`,
    caption:
      "The fraction of each hidden layer's outputs per bin over the epoch's training batches. Collapsing to a spike at 0 (too small an init) or piling up at ±1 (tanh saturation) is what the init section of the lecture warns about; values outside the range are counted in the table.",
    x: { label: 'activation' },
    panels: Object.entries(snap.layers).map(([name, s]) => ({
      name: layerLabel(name, s),
      edges: [...s.histogram.edges],
      counts: [...s.histogram.fractions],
    })),
  };
}

function activationTable(snaps: ActivationSnapshot[]): Table {
  const rows: Table['rows'] = [];
  for (const snap of snaps) {
    for (const [name, s] of Object.entries(snap.layers)) {
      const pct = (v: number | undefined) => (v === undefined ? null : `${(v * 100).toFixed(1)}%`);
      rows.push([
        snap.epoch,
        layerLabel(name, s),
        Number(s.mean.toPrecision(3)),
        Number(s.std.toPrecision(3)),
        pct(s.dead),
        pct(s.saturated),
        pct(s.histogram.under + s.histogram.over),
      ]);
    }
  }
  return {
    title: 'Activation statistics',
    columns: ['epoch', 'layer', 'mean', 'std', 'dead units', 'saturated', 'outside the histogram'],
    rows,
  };
}

/** A diagnosis finding as a report finding: 'held' when nothing is wrong (severity info). */
function toFinding(d: TrainResult['diagnosis'][number]): Finding {
  const details = d.details;
  const numbers = details
    ? Object.entries(details)
        .map(([k, v]) => `${k} ${formatNumber(v)}`)
        .join(', ')
    : '';
  return {
    statement: `${d.code}: ${d.message}`,
    measured: numbers ? `${d.severity}; ${numbers}` : d.severity,
    held: d.severity === 'info',
  };
}

/** The report of one `nerve train` run. */
export function trainReport(result: TrainResult, snapshots: ActivationSnapshot[]): Report {
  const h = result.history;
  const last = h[h.length - 1];
  const pct = (v: number | undefined) => (v === undefined ? null : `${(v * 100).toFixed(2)}%`);
  const summary: Table = {
    title: 'Result',
    columns: ['', 'train', 'val', 'test'],
    rows: [
      [
        'loss',
        last ? Number(last.trainLoss.toPrecision(4)) : null,
        last?.valLoss === undefined ? null : Number(last.valLoss.toPrecision(4)),
        Number(result.testLoss.toPrecision(4)),
      ],
      ['accuracy', pct(last?.trainAccuracy), pct(last?.valAccuracy), pct(result.testAccuracy)],
    ],
  };
  const whens = ['start', 'middle', 'end'];
  const shown =
    snapshots.length === 3 ? whens : snapshots.length === 2 ? ['start', 'end'] : ['end'];
  const histograms: Figure[] = snapshots.map((s, i) => histogramFigure(s, shown[i] ?? ''));
  const findings = result.diagnosis.map(toFinding);
  const quiet = result.diagnosis.every((d) => d.severity === 'info');
  const run = [
    `${describeModel(result.model)} on ${result.dataset} (${result.parameters} parameters), ${result.optimizer} at lr ${formatNumber(result.lr)}${result.weightDecay ? `, weight decay ${formatNumber(result.weightDecay)}` : ''}, batch ${result.batchSize}, ${result.epochs} epochs on ${result.backend}, init ${result.model.init}, seed ${result.model.seed}; ${result.seconds.toFixed(1)} s.`,
  ];
  if (result.stopReason) run.push(`Stopped early: ${result.stopReason}`);
  return {
    title: `nerve train: ${result.dataset}`,
    subtitle: `${describeModel(result.model)}, ${result.optimizer} lr ${formatNumber(result.lr)}: test accuracy ${pct(result.testAccuracy)}`,
    sections: [
      { heading: 'Run', text: run, tables: [summary] },
      { heading: 'Loss and accuracy', figures: lossFigures(h) },
      {
        heading: 'Update/weight ratio',
        text: ['One line per weight matrix; biases and normalization parameters are left out.'],
        figures: [updateRatioFigure(h, result.model)],
      },
      {
        heading: 'Activations',
        figures: histograms,
        tables: snapshots.length > 0 ? [activationTable(snapshots)] : [],
        ...(snapshots.length === 0
          ? { text: ['No activation was measured (no hidden activation module).'] }
          : {}),
      },
      {
        heading: 'Diagnosis',
        text: [
          quiet
            ? 'Nothing unusual: the loss fell, no large train/val gap, updates at a healthy scale.'
            : 'What diagnose noticed in the history (✗: a warning or an error, with advice).',
        ],
        findings,
      },
    ],
  };
}
