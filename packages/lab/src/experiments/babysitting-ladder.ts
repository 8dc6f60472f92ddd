/**
 * What babysitting's learning-rate ladder shows: findings about the rungs,
 * `diagnose`'s verdicts and the update/weight ratio, the ladder table and
 * its figures.
 */
import { DIAGNOSE_DEFAULTS } from '@nerve/metrics';
import type { Figure, Finding, LineFigure, Table } from '@nerve/plot';
import type { LabOutput } from '../experiment.js';
import { fmt, mean } from '../util/standardized-digits.js';
import type { Rung } from './babysitting-training.js';

const LN10 = Math.log(10);

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
