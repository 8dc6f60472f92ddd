/**
 * What babysitting's measurements show: findings (claim, numbers, whether
 * it held), tables and figures, one function per part.
 */
import { DIAGNOSE_DEFAULTS } from '@nerve/metrics';
import type { Figure, Finding, LineFigure, Table } from '@nerve/plot';
import type { LabOutput } from '../experiment.js';
import { fmt, mean } from '../util/standardized-digits.js';
import type { InitialLossRow, OverfitResult } from './babysitting-checks.js';
import { type GapCase, MORE_DATA_FACTOR, type Rung } from './babysitting-training.js';

const LN10 = Math.log(10);

/**
 * The initial loss of 0.01·N(0,1) weights is within this of ln 10. From the
 * expansion ln C + σ²(1 − 1/C)/2: the logits of this net have σ ≈ 0.006, a
 * deviation of ~2e-5; 0.01 allows logits up to σ ≈ 0.15, still "small".
 */
const INITIAL_TOLERANCE = 0.01;

/**
 * The update ratio of SGD is lr·‖g‖/‖w‖. Over the rungs 1e-6…1e-4 the
 * weights move by at most (ratio × steps) ≈ 1.6e-4 × 400 ≈ 6% in a run, so
 * ‖g‖/‖w‖ stays that of the init and log ratio against log lr has slope 1;
 * 0.1 leaves room for that drift.
 */
const SLOPE_TOLERANCE = 0.1;

/** Rungs below this rate are in the slope fit (see SLOPE_TOLERANCE). */
const SLOPE_MAX_LR = 1e-4;

/** Ten classes: chance is 0.1; "near chance" is at most twice that. */
const STUCK_ACCURACY = 0.2;

/** A rung "learns" when it classifies at least half the validation digits. */
const LEARNED_ACCURACY = 0.5;

/** The healthy band: within 10× of 1e-3, diagnose's own thresholds. */
const BAND = {
  label: `healthy: ${DIAGNOSE_DEFAULTS.updateRatioLow}–${DIAGNOSE_DEFAULTS.updateRatioHigh} (10× around 1e-3)`,
  y1: DIAGNOSE_DEFAULTS.updateRatioLow,
  y2: DIAGNOSE_DEFAULTS.updateRatioHigh,
};

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

const finite = (v: number) => Number.isFinite(v);

/** The codes of a rung's diagnosis, without the informational initial-loss note. */
function codes(r: Rung): string[] {
  return r.diagnosis.filter((d) => d.severity !== 'info').map((d) => d.code);
}

/** A learning rate as people write it: 1e-6 … 1e-3, then 0.01 … 100. */
export function lrText(lr: number): string {
  return lr < 0.01 ? lr.toExponential(0) : String(lr);
}

/** Means of `w` consecutive step losses over the whole run, up to where the loss diverged. */
function stepCurve(r: Rung, w: number): { x: number[]; y: number[] } {
  const steps = r.history.flatMap((h) => h.stepLosses ?? []);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i + w <= steps.length; i += w) {
    let sum = 0;
    for (let j = i; j < i + w; j++) sum += steps[j] as number;
    if (!(sum > 0)) continue;
    // Past 100 (×40 the loss at init) the rung has diverged; drawing on to 1e35 would flatten the rest.
    if (!(sum / w <= 100)) break;
    x.push(i + w);
    y.push(sum / w);
  }
  return { x, y };
}

/** Least-squares slope of y on x. */
function slope(x: number[], y: number[]): number {
  const mx = mean(x);
  const my = mean(y);
  let num = 0;
  let den = 0;
  for (const [i, xi] of x.entries()) {
    num += (xi - mx) * ((y[i] as number) - my);
    den += (xi - mx) ** 2;
  }
  return num / den;
}

/** The learning-rate ladder and the update/weight ratios. */
export function ladderOutputs(rungs: Rung[]): LabOutput {
  const ok = rungs.filter((r) => finite(r.finalLoss));
  const best = ok.reduce((a, b) => (b.finalLoss < a.finalLoss ? b : a));
  const raise = rungs.filter((r) => r.diagnosis.some((d) => d.learningRate === 'raise'));
  const diverged = rungs.filter((r) =>
    codes(r).some((c) => c === 'loss-nan' || c === 'loss-exploding'),
  );
  const lowest = rungs.slice(0, 2);
  const highest = rungs.slice(-2);
  const fitRungs = rungs.filter((r) => r.lr <= SLOPE_MAX_LR && r.updateRatio > 0);
  const k = slope(
    fitRungs.map((r) => Math.log10(r.lr)),
    fitRungs.map((r) => Math.log10(r.updateRatio)),
  );
  const tiny = rungs.filter((r) => r.updateRatio < BAND.y1);
  const learned = ok.filter((r) => r.valAccuracy >= LEARNED_ACCURACY);
  const list = (rs: Rung[]) => rs.map((r) => lrText(r.lr)).join(', ') || 'none';
  const findings: Finding[] = [
    {
      statement: `Too small a rate leaves the loss flat: diagnose tells the two lowest rungs (${list(lowest)}) to raise the learning rate`,
      measured: `told to raise: ${list(raise)}; final loss ${lowest.map((r) => fmt(r.finalLoss, 4)).join(', ')} (ln 10 = ${fmt(LN10, 4)})`,
      held: lowest.every((r) => raise.includes(r)),
    },
    {
      statement: `Too large a rate diverges: diagnose finds the loss exploding or NaN on the two highest rungs (${list(highest)})`,
      measured: `diverged: ${list(diverged)}`,
      held: highest.every((r) => diverged.includes(r)),
    },
    {
      statement: 'The lowest final loss lies in the middle of the ladder, between 1e-2 and 1',
      measured: `lowest final loss ${fmt(best.finalLoss)} at lr ${lrText(best.lr)} (validation accuracy ${fmt(best.valAccuracy)})`,
      held: best.lr >= 1e-2 && best.lr <= 1,
    },
    {
      statement: `For SGD the update/weight ratio is lr·‖g‖/‖w‖: on the rungs up to ${SLOPE_MAX_LR} log(ratio) grows with log(lr) with slope 1 (±${SLOPE_TOLERANCE})`,
      measured: `slope ${fmt(k, 3)} over lr ${list(fitRungs)}; ratio ${fitRungs.map((r) => fmt(r.updateRatio, 2)).join(', ')}`,
      held: Math.abs(k - 1) <= SLOPE_TOLERANCE,
    },
    {
      statement: `The ratio separates the rungs: every rung under ${BAND.y1} stays near chance (validation accuracy ≤ ${STUCK_ACCURACY}, twice chance), and every rung that learns (validation accuracy ≥ ${LEARNED_ACCURACY}) updates by 1e-3 or more of its weights per step`,
      measured: `${rungs
        .filter((r) => finite(r.updateRatio) && finite(r.valAccuracy))
        .map(
          (r) =>
            `lr ${lrText(r.lr)}: ratio ${fmt(r.updateRatio, 2)}, val accuracy ${fmt(r.valAccuracy, 2)}`,
        )
        .join('; ')}`,
      held:
        tiny.length > 0 &&
        tiny.every((r) => r.valAccuracy <= STUCK_ACCURACY) &&
        learned.length > 0 &&
        learned.every((r) => r.updateRatio >= 1e-3),
    },
  ];
  const tables: Table[] = [
    {
      title: `Learning-rate ladder (plain SGD, batch 32, ${rungs[0]?.history.length ?? 0} epochs per rung unless stopped)`,
      columns: [
        'lr',
        'epochs run',
        'final train loss',
        'val accuracy',
        'update ratio',
        'diagnosis',
      ],
      rows: rungs.map((r) => [
        r.lr,
        r.history.length,
        finite(r.finalLoss) ? r.finalLoss : String(r.finalLoss),
        finite(r.valAccuracy) ? r.valAccuracy : null,
        finite(r.updateRatio) ? r.updateRatio : null,
        codes(r).join(', ') || 'healthy',
      ]),
    },
  ];
  const curves: LineFigure = {
    kind: 'line',
    id: 'lr-ladder-curves',
    title: 'Training loss on each rung (means of 5 steps)',
    caption: 'A curve ends where its loss passes 100 or goes NaN (NaNGuard stops that rung).',
    x: { label: 'step' },
    y: { label: 'training loss', log: true },
    series: rungs.map((r) => ({ name: `lr ${lrText(r.lr)}`, ...stepCurve(r, 5) })),
  };
  const figures: Figure[] = [
    {
      kind: 'line',
      id: 'lr-ladder',
      title: 'Final training loss against the learning rate',
      caption: `Rungs whose loss went NaN or ∞ are left out (${list(rungs.filter((r) => !finite(r.finalLoss)))}).`,
      x: { label: 'learning rate', log: true },
      y: { label: 'final training loss', log: true },
      series: [
        { name: 'final loss', x: ok.map((r) => r.lr), y: ok.map((r) => r.finalLoss) },
        { name: 'ln 10 (chance)', x: rungs.map((r) => r.lr), y: rungs.map(() => LN10) },
      ],
    },
    curves,
    {
      kind: 'line',
      id: 'update-ratio-layers',
      title: `Update/weight ratio per parameter over training (lr ${lrText(best.lr)})`,
      x: { label: 'epoch' },
      y: { label: '‖Δw‖ / ‖w‖ per step', log: true },
      bands: [BAND],
      series: Object.entries(best.ratios).map(([name, v]) => ({
        name,
        x: v.map((_, i) => i + 1),
        y: v,
      })),
    },
    {
      kind: 'line',
      id: 'update-ratio-lr',
      title: 'Update/weight ratio against the learning rate',
      caption: 'Median over parameters and epochs; diverged rungs are left out.',
      x: { label: 'learning rate', log: true },
      y: { label: 'median ‖Δw‖ / ‖w‖', log: true },
      points: true,
      bands: [BAND],
      series: [
        {
          name: 'median ratio',
          x: rungs.filter((r) => finite(r.updateRatio) && r.updateRatio > 0).map((r) => r.lr),
          y: rungs
            .filter((r) => finite(r.updateRatio) && r.updateRatio > 0)
            .map((r) => r.updateRatio),
        },
      ],
    },
  ];
  const notes = [
    `The lowest-loss rung (lr ${lrText(best.lr)}) updates by ${fmt(best.updateRatio, 2)} of its weights per step (median); diagnose says ${codes(best).join(', ') || 'healthy'}. The 1e-3 rule of thumb is a guide to the order of magnitude, not a target.`,
  ];
  return { findings, tables, figures, notes };
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
