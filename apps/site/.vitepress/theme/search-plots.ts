/**
 * The /search page's figures as @nerve/plot data (drawn in the page with the
 * browser entry's figureToSvg): validation accuracy against a
 * hyperparameter, one colour per trial state, and every trial's learning
 * curve with ASHA's rungs, so a curve that ends at a rung is one ASHA cut.
 */
import type { LineFigure, Series } from '@nerve/plot';
import { METRIC, type ParamName, SCALES, type TrialConfig } from './search-study.js';

/** A trial as the page tracks it while the study runs. */
export interface LiveTrial {
  id: number;
  worker: number;
  config: TrialConfig;
  seed: number;
  state: 'running' | 'completed' | 'pruned' | 'stopped' | 'failed';
  /** valAccuracy per reported epoch. */
  curve: { epoch: number; value: number }[];
  /** Best valAccuracy so far (the trial's objective when it ends). */
  best: number;
  reason?: string;
}

/** States in legend order: the colours stay put as states appear. */
const STATES: LiveTrial['state'][] = ['completed', 'pruned', 'running', 'stopped', 'failed'];

const LABELS: Record<ParamName, string> = {
  lr: 'learning rate',
  weightDecay: 'weight decay',
  hidden: 'hidden units',
  dropout: 'dropout',
};

/** Validation accuracy (best so far) against one hyperparameter, one point set per state. */
export function accuracyFigure(trials: readonly LiveTrial[], name: ParamName): LineFigure {
  const series: Series[] = STATES.filter((s, i) => i < 3 || trials.some((t) => t.state === s)).map(
    (state) => {
      const ts = trials.filter((t) => t.state === state && Number.isFinite(t.best));
      return { name: state, x: ts.map((t) => t.config[name]), y: ts.map((t) => t.best) };
    },
  );
  const log = SCALES[name] !== 'linear';
  return {
    kind: 'line',
    id: `search-accuracy-${name}`,
    title: `Validation accuracy against ${LABELS[name]}`,
    caption: `One point per trial: its best ${METRIC} so far${log ? `; ${LABELS[name]} is sampled in log space, so the axis is logarithmic` : ''}.`,
    x: { label: LABELS[name], log },
    y: { label: 'validation accuracy' },
    points: true,
    series,
  };
}

/** Trials named in the curves' legend: the best ones; the others are drawn in grey. */
export const LABELLED_TRIALS = 5;

/**
 * Every trial's validation accuracy per epoch, with a vertical line at each
 * rung. The legend names the LABELLED_TRIALS best trials (by best accuracy
 * so far); the others are grey lines drawn under them.
 */
export function curvesFigure(trials: readonly LiveTrial[], rungs: readonly number[]): LineFigure {
  const drawn = trials.filter((t) => t.curve.length > 0);
  const best = new Set(
    [...drawn]
      .sort(
        (a, b) =>
          (Number.isFinite(b.best) ? b.best : -1) - (Number.isFinite(a.best) ? a.best : -1) ||
          a.id - b.id,
      )
      .slice(0, LABELLED_TRIALS)
      .map((t) => t.id),
  );
  const series: Series[] = [...drawn]
    .sort((a, b) => Number(best.has(a.id)) - Number(best.has(b.id)) || a.id - b.id)
    .map((t) => ({
      name: `#${t.id} ${t.state}`,
      x: t.curve.map((p) => p.epoch),
      y: t.curve.map((p) => p.value),
      ...(best.has(t.id) ? {} : { legend: false }),
    }));
  const values = trials.flatMap((t) => t.curve.map((p) => p.value)).filter(Number.isFinite);
  const lo = values.length > 0 ? Math.min(...values) : 0;
  const hi = values.length > 0 ? Math.max(...values) : 1;
  for (const r of rungs) series.push({ name: `ASHA rung ${r}`, x: [r, r], y: [lo, hi] });
  return {
    kind: 'line',
    id: 'search-curves',
    title: 'Validation accuracy per epoch, with ASHA’s rungs',
    caption: `At each rung (vertical line) a trial continues only if it is in the top third of the trials of smaller id that reached it (Li et al. 2018); a curve that ends at a rung was cut there. The legend names the ${LABELLED_TRIALS} best trials; the others are grey.`,
    x: { label: 'epoch', integer: true },
    y: { label: 'validation accuracy' },
    series,
  };
}

let plot: Promise<typeof import('@nerve/plot')> | undefined;

/** Draws `fig` into `el` (replacing what was there); @nerve/plot loads on first use. */
export async function draw(el: HTMLElement, fig: LineFigure, width: number): Promise<void> {
  plot ??= import('@nerve/plot');
  const { figureToSvg } = await plot;
  el.innerHTML = figureToSvg(fig, { width });
}
