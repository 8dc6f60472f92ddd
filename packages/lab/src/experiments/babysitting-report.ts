/**
 * What babysitting's checks and train/val gap show: findings (claim,
 * numbers, whether it held), tables and figures. The ladder's are in
 * babysitting-ladder.ts.
 */
import { DIAGNOSE_DEFAULTS } from '@nerve/metrics';
import type { Figure, Finding, Table } from '@nerve/plot';
import type { LabOutput } from '../experiment.js';
import { fmt, mean } from '../util/standardized-digits.js';
import type { InitialLossRow, OverfitResult } from './babysitting-checks.js';
import { type GapCase, MORE_DATA_FACTOR } from './babysitting-training.js';

const LN10 = Math.log(10);

/**
 * The initial loss of 0.01·N(0,1) weights is within this of ln 10. From the
 * expansion ln C + σ²(1 − 1/C)/2: the logits of this net have σ ≈ 0.006, a
 * deviation of ~2e-5; 0.01 allows logits up to σ ≈ 0.15, still "small".
 */
const INITIAL_TOLERANCE = 0.01;

/** The initial-loss check and the tiny-subset overfit. */
export function checkOutputs(rows: InitialLossRow[], o: OverfitResult): LabOutput {
  const small = rows.filter((r) => r.init.startsWith('0.01'));
  const base = small.find((r) => r.lambda === 0) as InitialLossRow;
  const top = small[small.length - 1] as InitialLossRow;
  const exact = small.every(
    (r) => Math.abs(r.total - (r.dataLoss + (r.lambda / 2) * r.sumSquares)) <= 1e-5 * r.total,
  );
  const rising = small.every((r, i) => i === 0 || r.total > (small[i - 1] as InitialLossRow).total);
  const findings: Finding[] = [
    {
      statement: `With small weights the loss at init is ln 10 = ${fmt(LN10, 4)} (within ${INITIAL_TOLERANCE})`,
      measured: `${fmt(base.dataLoss, 5)} with 0.01·N(0,1) weights (logit std ${fmt(base.logitStd, 2)}); ${rows
        .filter((r) => !r.init.startsWith('0.01'))
        .map((r) => `${fmt(r.dataLoss, 4)} with ${r.init}`)
        .join(', ')}`,
      held: Math.abs(base.dataLoss - LN10) <= INITIAL_TOLERANCE,
    },
    {
      statement:
        'The initial loss rises with the L2 strength λ, by exactly λ/2·Σw² (cross-entropy + l2Penalty over the weight matrices)',
      measured: `Σw² = ${fmt(base.sumSquares)}; loss ${fmt(base.total, 4)} at λ = 0 → ${fmt(top.total, 4)} at λ = ${top.lambda}`,
      held: exact && rising,
    },
    {
      statement: `With regularization off the net overfits ${o.examples} examples: 100% training accuracy and a loss below 1% of ln 10`,
      measured: `training accuracy ${fmt(o.finalAccuracy)} (first 100% at step ${o.firstPerfectEpoch ?? 'never'}), loss ${fmt(o.finalLoss)} after ${o.history.length} steps; validation accuracy ${fmt(o.valAccuracy)}`,
      held: o.finalAccuracy === 1 && o.finalLoss < 0.01 * LN10,
    },
  ];
  const tables: Table[] = [
    {
      title: 'Loss at init: mean cross-entropy + λ/2·Σw² (weights only)',
      columns: ['weights', 'λ', 'cross-entropy', 'Σw²', 'total loss', 'logit std'],
      rows: rows.map((r) => [r.init, r.lambda, r.dataLoss, r.sumSquares, r.total, r.logitStd]),
    },
    {
      title: `Overfitting ${o.examples} examples (SGD, momentum 0.9, full batch)`,
      columns: ['steps', 'first step at 100%', 'final loss', 'train accuracy', 'val accuracy'],
      rows: [[o.history.length, o.firstPerfectEpoch, o.finalLoss, o.finalAccuracy, o.valAccuracy]],
    },
  ];
  const positive = small.filter((r) => r.lambda > 0);
  const figures: Figure[] = [
    {
      kind: 'line',
      id: 'initial-loss',
      title: 'Loss at init against the L2 strength',
      caption: `0.01·N(0,1) weights; at λ = 0 the loss is ${fmt(base.total, 4)} (ln 10 = ${fmt(LN10, 4)}). The measured loss lies on the prediction.`,
      x: { label: 'λ (L2 strength)', log: true },
      y: { label: 'loss at init', log: true },
      series: [
        { name: 'measured', x: positive.map((r) => r.lambda), y: positive.map((r) => r.total) },
        {
          name: 'ln 10 + λ/2·Σw²',
          x: positive.map((r) => r.lambda),
          y: positive.map((r) => LN10 + (r.lambda / 2) * r.sumSquares),
        },
        { name: 'ln 10', x: positive.map((r) => r.lambda), y: positive.map(() => LN10) },
      ],
    },
    {
      kind: 'line',
      id: 'overfit',
      title: `Overfitting ${o.examples} examples`,
      caption: 'Full-batch loss per step, regularization off.',
      x: { label: 'step' },
      y: { label: 'training loss', log: true },
      series: [
        {
          name: 'training loss',
          x: o.history.map((r) => r.epoch),
          y: o.history.map((r) => r.trainLoss),
        },
      ],
    },
  ];
  return { findings, tables, figures };
}

/** Train − val accuracy of each seed, averaged. */
function gapOf(c: GapCase): number {
  return mean(c.trainAccuracy.map((t, i) => t - (c.valAccuracy[i] as number)));
}

/** The train/val gap with and without regularization. */
export function gapOutputs(cases: GapCase[], perClass: number): LabOutput {
  const by = (id: string) => cases.find((c) => c.id === id) as GapCase;
  const none = by('none');
  const seeds = none.trainAccuracy.length;
  const more = by('more-data');
  const regularized = cases.filter((c) => c.id !== 'none' && c.id !== 'more-data');
  const describe = (c: GapCase) =>
    `${c.label}: train ${fmt(mean(c.trainAccuracy))}, val ${fmt(mean(c.valAccuracy))}, gap ${fmt(gapOf(c), 2)}`;
  const findings: Finding[] = [
    {
      statement: `Without regularization a wide MLP memorizes ${perClass * 10} examples: 100% training accuracy and a train/val gap above diagnose's ${DIAGNOSE_DEFAULTS.maxGap}`,
      measured: describe(none),
      held: none.trainAccuracy.every((a) => a === 1) && gapOf(none) > DIAGNOSE_DEFAULTS.maxGap,
    },
    {
      statement:
        'Dropout and weight decay do not close a gap that comes from too few examples: each regularized gap stays above half of the unregularized one',
      measured: `${regularized.map(describe).join('; ')} (gap ${fmt(gapOf(none), 2)} without)`,
      held: regularized.every((c) => gapOf(c) > gapOf(none) / 2),
    },
    {
      statement: `${MORE_DATA_FACTOR}× the examples, unregularized, closes more of the gap than dropout or weight decay`,
      measured: `${describe(more)}; best regularized gap ${fmt(Math.min(...regularized.map(gapOf)), 2)}`,
      held: regularized.every((c) => gapOf(more) < gapOf(c)),
    },
  ];
  const tables: Table[] = [
    {
      title: `Train/val gap on ${perClass * 10} training digits (mean over ${seeds} seed${seeds > 1 ? 's' : ''}; eval mode)`,
      columns: [
        'regularization',
        'train accuracy',
        'val accuracy',
        'gap',
        'train loss',
        'val loss',
      ],
      rows: cases.map((c) => [
        c.label,
        mean(c.trainAccuracy),
        mean(c.valAccuracy),
        gapOf(c),
        mean(c.trainLoss),
        mean(c.valLoss),
      ]),
    },
  ];
  const curve = (c: GapCase, key: 'trainLoss' | 'valLoss', what: string) => ({
    name: `${c.label}, ${what}`,
    x: c.history.map((h) => h.epoch),
    y: c.history.map((h) => h[key] ?? Number.NaN),
  });
  const figures: Figure[] = [
    {
      kind: 'bar',
      id: 'gap',
      title: 'Training and validation accuracy with and without regularization',
      y: { label: 'accuracy', domain: [0, 1] },
      categories: cases.map((c) => c.label),
      series: [
        { name: 'train', values: cases.map((c) => mean(c.trainAccuracy)) },
        { name: 'validation', values: cases.map((c) => mean(c.valAccuracy)) },
      ],
    },
    {
      kind: 'line',
      id: 'gap-curves',
      title: 'Training and validation loss per epoch',
      caption: 'First seed; the training loss is measured in training mode (with dropout on).',
      x: { label: 'epoch' },
      y: { label: 'loss', log: true },
      series: [
        curve(none, 'trainLoss', 'train'),
        curve(none, 'valLoss', 'val'),
        curve(by('both'), 'trainLoss', 'train'),
        curve(by('both'), 'valLoss', 'val'),
      ],
    },
  ];
  return {
    findings,
    tables,
    figures,
    notes: [
      `On ${perClass * 10} digits dropout and weight decay move the train/val gap by a point or two (${regularized.map((c) => `${c.id} ${fmt(gapOf(c) - gapOf(none), 2)}`).join(', ')}), about the spread between seeds; ${MORE_DATA_FACTOR}× the data moves it by ${fmt(gapOf(more) - gapOf(none), 2)}.`,
    ],
  };
}
