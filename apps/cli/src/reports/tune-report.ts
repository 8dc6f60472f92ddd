/**
 * What `nerve tune --report` shows, as data: the objective against each
 * hyperparameter (on a log axis where the space samples in log space), the
 * best value found so far over the trials, and, with ASHA, each trial's
 * curve with the rungs and how many trials each rung let through.
 */
import type { BarFigure, Figure, LineFigure, Report, Series, Table } from '@nerve/plot';
import {
  type RangeSummary,
  type StudyResult,
  type TrialRecord,
  type Value,
  formatNumber,
  rankTrials,
  studyWarnings,
} from '@nerve/tune';

/** The study and how the report should read it. */
export interface TuneReportInput {
  result: StudyResult & { wallSeconds?: number };
  /** ASHA's rung epochs, when the study pruned with it. */
  rungs?: number[];
}

const finite = (t: TrialRecord) => Number.isFinite(t.objective);

/** Objective against one numeric parameter: one point set per trial status. */
function numericFigure(
  name: string,
  log: boolean,
  trials: TrialRecord[],
  metric: string,
): LineFigure {
  const byStatus = new Map<string, Series>();
  for (const t of trials) {
    const v = t.config[name];
    if (typeof v !== 'number' || !finite(t) || (log && v <= 0)) continue;
    let s = byStatus.get(t.status);
    if (!s) byStatus.set(t.status, (s = { name: t.status, x: [], y: [] }));
    s.x.push(v);
    s.y.push(t.objective);
  }
  return {
    kind: 'line',
    id: `objective-${name}`,
    title: `${metric} against ${name}`,
    caption: `One point per trial${log ? `; ${name} was sampled in log space, so the axis is logarithmic` : ''}.${trials.some((t) => t.status === 'pruned') ? " A pruned trial's point is its metric when ASHA stopped it." : ''}`,
    x: { label: name, log },
    y: { label: metric },
    points: true,
    series: [...byStatus.values()],
  };
}

/** Objective per value of a categorical parameter: the best and the median. */
function choiceFigure(
  name: string,
  values: Value[],
  trials: TrialRecord[],
  metric: string,
  mode: 'min' | 'max',
): BarFigure {
  const best: number[] = [];
  const median: number[] = [];
  for (const v of values) {
    const ys = trials
      .filter((t) => t.config[name] === v && finite(t))
      .map((t) => t.objective)
      .sort((a, b) => a - b);
    best.push(ys.length === 0 ? Number.NaN : mode === 'min' ? ys[0] : ys[ys.length - 1]);
    median.push(ys.length === 0 ? Number.NaN : ys[Math.floor((ys.length - 1) / 2)]);
  }
  return {
    kind: 'bar',
    id: `objective-${name}`,
    title: `${metric} per ${name}`,
    caption: `The best and the median ${metric} of the trials that drew each value.`,
    y: { label: metric },
    categories: values.map(String),
    series: [
      { name: 'best', values: best },
      { name: 'median', values: median },
    ],
  };
}

function parameterFigures(r: StudyResult): Figure[] {
  const ranges: Record<string, RangeSummary> = r.stages[0]?.ranges ?? r.space.ranges();
  const out: Figure[] = [];
  for (const [name, range] of Object.entries(ranges)) {
    if (name === 'epochs' && 'values' in range && range.values.length === 1) continue;
    if ('low' in range) out.push(numericFigure(name, range.log, r.trials, r.metric));
    else if (range.values.every((v) => typeof v === 'number')) {
      out.push(numericFigure(name, false, r.trials, r.metric));
    } else out.push(choiceFigure(name, range.values, r.trials, r.metric, r.mode));
  }
  return out;
}

/** Each trial's objective in id order (the order they were drawn) and the best so far. */
export function bestSoFar(
  trials: TrialRecord[],
  mode: 'min' | 'max',
): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  let best = Number.NaN;
  for (const t of [...trials].sort((a, b) => a.id - b.id)) {
    if (!finite(t)) continue;
    if (Number.isNaN(best) || (mode === 'min' ? t.objective < best : t.objective > best))
      best = t.objective;
    x.push(t.id);
    y.push(best);
  }
  return { x, y };
}

function bestFigure(r: StudyResult): LineFigure {
  const ok = [...r.trials].sort((a, b) => a.id - b.id).filter(finite);
  return {
    kind: 'line',
    id: 'best-so-far',
    title: `Best ${r.metric} so far`,
    caption: `Each trial's ${r.metric} in the order the trials were drawn, and the best (${r.mode}) among those up to it.`,
    x: { label: 'trial' },
    y: { label: r.metric },
    points: true,
    series: [
      { name: 'trial', x: ok.map((t) => t.id), y: ok.map((t) => t.objective) },
      { name: 'best so far', ...bestSoFar(r.trials, r.mode) },
    ],
  };
}

/** How many trials reached each rung, and how many ASHA stopped there. */
export function rungTable(trials: TrialRecord[], rungs: number[]): Table {
  const rows: Table['rows'] = rungs.map((rung) => {
    const reached = trials.filter((t) => t.history.some((h) => h.epoch >= rung));
    const pruned = reached.filter(
      (t) => t.status === 'pruned' && (t.reason ?? '').includes(`rung at epoch ${rung}:`),
    );
    return [rung, reached.length, pruned.length, reached.length - pruned.length];
  });
  return {
    title: "ASHA's rungs",
    columns: ['rung (epoch)', 'reached', 'stopped there', 'continued'],
    rows,
  };
}

function curvesFigure(r: StudyResult, rungs: number[]): LineFigure {
  const values = r.trials
    .flatMap((t) => t.history.map((h) => h.metrics[r.metric]))
    .filter(Number.isFinite);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const log = lo > 0 && /loss/i.test(r.metric);
  const series: Series[] = [...r.trials]
    .sort((a, b) => a.id - b.id)
    .map((t) => {
      const pts = t.history.filter((h) => Number.isFinite(h.metrics[r.metric]));
      return {
        name: `trial ${t.id} (${t.status})`,
        x: pts.map((h) => h.epoch),
        y: pts.map((h) => h.metrics[r.metric]),
      };
    });
  for (const rung of rungs) series.push({ name: `rung ${rung}`, x: [rung, rung], y: [lo, hi] });
  return {
    kind: 'line',
    id: 'asha-curves',
    title: `${r.metric} per epoch of every trial, with ASHA's rungs`,
    caption: `At each rung (vertical line) a trial continues only if it is in the top third of the trials that reached it (Li et al. 2018); the curves that end there were stopped.`,
    x: { label: 'epoch', integer: true },
    y: { label: r.metric, log },
    series,
  };
}

function topTable(r: StudyResult, top: number): Table {
  const ranked = rankTrials(r.trials, r.mode).slice(0, top);
  const names = Object.keys(r.stages[0]?.ranges ?? {}).filter((k) => k !== 'epochs');
  return {
    title: `The best ${ranked.length} trials`,
    columns: ['rank', 'trial', 'status', r.metric, ...names],
    rows: ranked.map((t, i) => [
      i + 1,
      t.id,
      t.status,
      formatNumber(t.objective),
      ...names.map((n) => {
        const v = t.config[n];
        return v === undefined ? null : typeof v === 'number' ? formatNumber(v) : String(v);
      }),
    ]),
  };
}

function stageTable(r: StudyResult): Table {
  const names = Object.keys(r.stages[0]?.ranges ?? {}).filter((k) => k !== 'epochs');
  const show = (g: RangeSummary | undefined) =>
    g === undefined
      ? null
      : 'low' in g
        ? `${formatNumber(g.low)} … ${formatNumber(g.high)}${g.log ? ' (log)' : ''}`
        : g.values.map(String).join(', ');
  return {
    title: 'Ranges per stage',
    columns: ['stage', 'trials', ...names],
    rows: r.stages.map((s) => [s.stage, s.trials, ...names.map((n) => show(s.ranges[n]))]),
  };
}

/** The report of one `nerve tune` study. */
export function tuneReport({ result: r, rungs = [] }: TuneReportInput): Report {
  const counts = new Map<string, number>();
  for (const t of r.trials) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
  const best = r.best;
  const sections: Report['sections'] = [
    {
      heading: 'Study',
      text: [
        `${r.searcher.kind} search, ${r.trials.length} trials (${summary}), ${r.metric} (${r.mode}), seed ${r.seed}${r.resumed ? `, ${r.resumed} read back from the study file` : ''}${r.wallSeconds === undefined ? '' : `; ${r.wallSeconds.toFixed(1)} s`}.`,
        best
          ? `Best: trial ${best.id}, ${r.metric} ${formatNumber(best.objective)}, ${JSON.stringify(best.config)}.`
          : 'No trial finished.',
        ...studyWarnings(r),
      ],
      tables: [topTable(r, 10), ...(r.stages.length > 1 ? [stageTable(r)] : [])],
    },
    {
      heading: 'The objective against each hyperparameter',
      text: [
        'Look for the region the good trials share, and for a best value at the edge of a range (then widen it).',
      ],
      figures: parameterFigures(r),
    },
    { heading: 'Best so far', figures: [bestFigure(r)] },
  ];
  if (rungs.length > 0) {
    sections.push({
      heading: 'ASHA',
      figures: [curvesFigure(r, rungs)],
      tables: [rungTable(r.trials, rungs)],
    });
  }
  return {
    title: 'nerve tune',
    subtitle: best ? `best ${r.metric} ${formatNumber(best.objective)}` : undefined,
    sections,
  };
}
