/**
 * What the search experiment's measurements show: findings, tables and
 * figures, one function per part.
 */
import type { Figure, Finding, Table } from '@nerve/plot';
import type { LabOutput } from '../experiment.js';
import { fmt, mean, sampleStd } from '../util/standardized-digits.js';
import type { CvRepeat, Stage } from './search-digits.js';
import {
  DECADES,
  type SearchDuel,
  UNIMPORTANT_WEIGHT,
  expectedGridBest,
  expectedRandomBest,
} from './search-sampling.js';

/** Random vs grid search on the synthetic objective. */
export function duelOutputs(
  d: { duels: SearchDuel[]; grid: { x: number; y: number }[]; random: { x: number; y: number }[] },
  budget: number,
): LabOutput {
  const k = Math.round(Math.sqrt(budget));
  const n = d.duels.length;
  const g = d.duels.map((x) => x.gridBest);
  const r = d.duels.map((x) => x.randomBest);
  // Three standard errors of a mean over n seeds: a band a correct expectation misses 0.3% of the time.
  const se = (v: number[]) => (3 * sampleStd(v)) / Math.sqrt(v.length);
  const eg = expectedGridBest(k);
  const er = expectedRandomBest(budget);
  const wins = d.duels.filter((x) => x.randomBest < x.gridBest).length;
  const distinctRandom = Math.min(...d.duels.map((x) => x.randomDistinctX));
  const distinctGrid = Math.max(...d.duels.map((x) => x.gridDistinctX));
  const findings: Finding[] = [
    {
      statement: `On ${budget} trials a ${k}×${k} grid tries ${k} values of the important parameter; random search tries ${budget}`,
      measured: `distinct important values: grid ${distinctGrid}, random at least ${distinctRandom} (over ${n} seeds)`,
      held: distinctGrid === k && distinctRandom === budget,
    },
    {
      statement:
        'Random search finds a better setting than the grid on average, and on most objectives',
      measured: `mean best ${fmt(mean(r))} (random) vs ${fmt(mean(g))} (grid); random better on ${wins} of ${n} seeds`,
      held: mean(r) < mean(g) && wins > n / 2,
    },
    {
      statement: `The mean bests agree with the math (within 3 standard errors): grid (1 + w)·h²/3 = ${fmt(eg)}, random in [${fmt(er.low)}, ${fmt(er.high)}]`,
      measured: `grid ${fmt(mean(g))} ± ${fmt(se(g), 2)}, random ${fmt(mean(r))} ± ${fmt(se(r), 2)}`,
      held:
        Math.abs(mean(g) - eg) <= se(g) && mean(r) >= er.low - se(r) && mean(r) <= er.high + se(r),
    },
  ];
  const tables: Table[] = [
    {
      title: `Random vs grid search, ${budget} trials, f = (x − x*)² + ${UNIMPORTANT_WEIGHT}·(y − y*)², ${n} random optima`,
      columns: ['search', 'distinct important values', 'mean best', 'expected', 'better on seeds'],
      rows: [
        ['grid', distinctGrid, mean(g), eg, n - wins],
        ['random', distinctRandom, mean(r), `${fmt(er.low)}–${fmt(er.high)}`, wins],
      ],
    },
  ];
  const figures: Figure[] = [
    {
      kind: 'scatter',
      id: 'random-vs-grid-layout',
      title: `Where ${budget} trials go: grid vs random (first seed)`,
      caption: 'Projected on the important axis, the grid has only k distinct values.',
      x: { label: 'important parameter', domain: [0, 1] },
      y: { label: 'unimportant parameter', domain: [0, 1] },
      facet: true,
      square: true,
      groups: [
        { name: 'grid', x: d.grid.map((c) => c.x), y: d.grid.map((c) => c.y) },
        { name: 'random', x: d.random.map((c) => c.x), y: d.random.map((c) => c.y) },
      ],
    },
    {
      kind: 'line',
      id: 'random-vs-grid-best',
      title: 'Best value found on each random objective',
      x: { label: 'objective (seed)' },
      y: { label: 'best f found (lower is better)', log: true },
      points: true,
      series: [
        { name: 'grid', x: g.map((_, i) => i), y: g },
        { name: 'random', x: r.map((_, i) => i), y: r },
      ],
    },
  ];
  return { findings, tables, figures };
}

/** The log10 width of a range summary (0 for choices). */
function decades(r: Stage['ranges'][string] | undefined): number {
  return r && 'low' in r ? Math.log10(r.high / r.low) : 0;
}

/** Median of the finite values (NaN if none). */
function medianOf(v: number[]): number {
  const s = v.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const h = Math.floor(s.length / 2);
  return s.length % 2 ? (s[h] as number) : ((s[h - 1] as number) + (s[h] as number)) / 2;
}

/** Coarse-to-fine on the digits. */
export function stageOutputs(stages: Stage[]): LabOutput {
  const width = stages.map((s) => decades(s.ranges.lr));
  const medians = stages.map((s) => medianOf(s.trials.map((t) => t.objective)));
  const bests = stages.map((s) =>
    Math.max(...s.trials.map((t) => (Number.isFinite(t.objective) ? t.objective : 0))),
  );
  const first = medians[0] as number;
  const last = medians[medians.length - 1] as number;
  const findings: Finding[] = [
    {
      statement: 'Coarse-to-fine narrows the learning-rate range at every stage',
      measured: `lr range ${stages.map((s, i) => `${rangeText(s.ranges.lr)} (${fmt(width[i] as number, 2)} decades)`).join(' → ')}`,
      held: width.every((w, i) => i === 0 || w < (width[i - 1] as number)),
    },
    {
      statement:
        'The narrowed stages spend their trials on good settings: the median validation accuracy rises from the first stage to the last',
      measured: `median ${medians.map((m) => fmt(m)).join(' → ')}; best ${bests.map((b) => fmt(b)).join(' → ')}`,
      held: last > first,
    },
  ];
  const tables: Table[] = [
    {
      title: 'Coarse-to-fine search on the digits (64–32–10 MLP, SGD with momentum 0.9)',
      columns: [
        'stage',
        'trials',
        'lr range',
        'weight-decay range',
        'diverged',
        'median val accuracy',
        'best val accuracy',
      ],
      rows: stages.map((s, i) => [
        i,
        s.trials.length,
        rangeText(s.ranges.lr),
        rangeText(s.ranges.weightDecay),
        s.trials.filter((t) => t.status === 'failed').length,
        medians[i] as number,
        bests[i] as number,
      ]),
    },
  ];
  const figures: Figure[] = [
    {
      kind: 'scatter',
      id: 'coarse-to-fine',
      title: 'Validation accuracy against the learning rate, by stage',
      caption: 'Diverged trials are drawn at accuracy 0.',
      x: { label: 'learning rate', log: true },
      y: { label: 'validation accuracy', domain: [0, 1] },
      groups: stages.map((s, i) => ({
        name: `stage ${i}`,
        x: s.trials.map((t) => t.config.lr as number),
        y: s.trials.map((t) => (Number.isFinite(t.objective) ? t.objective : 0)),
      })),
    },
  ];
  return { findings, tables, figures };
}

function rangeText(r: Stage['ranges'][string] | undefined): string {
  return r && 'low' in r ? `${fmt(r.low, 2)}…${fmt(r.high, 2)}` : '';
}

/** Log vs linear sampling of the learning rate. */
export function samplingOutputs(
  s: { linear: number[]; log: number[]; expectedLinear: number[]; expectedLog: number[] },
  samples: number,
): LabOutput {
  // Four binomial standard errors per decade: with 12 fractions, a correct expectation fails < 0.1% of runs.
  const within = (got: number[], want: number[]) =>
    got.every((f, i) => {
      const p = want[i] as number;
      return Math.abs(f - p) <= 4 * Math.sqrt((p * (1 - p)) / samples) + 1e-12;
    });
  const findings: Finding[] = [
    {
      statement: `Sampling the learning rate uniformly on [1e-6, 1] puts 90% of the trials in the top decade; log-uniform puts 1/6 in each (within 4 binomial standard errors)`,
      measured: `top decade: ${fmt((s.linear[5] as number) * 100, 3)}% (uniform) vs ${fmt((s.log[5] as number) * 100, 3)}% (log); the five lower decades get ${fmt((1 - (s.linear[5] as number)) * 100, 3)}% uniform, ${fmt((1 - (s.log[5] as number)) * 100, 3)}% log`,
      held: within(s.linear, s.expectedLinear) && within(s.log, s.expectedLog),
    },
  ];
  const tables: Table[] = [
    {
      title: `Fraction of ${samples} sampled learning rates per decade`,
      columns: ['decade', 'uniform', 'expected', 'log-uniform', 'expected'],
      rows: DECADES.map((d, i) => [
        d.label,
        s.linear[i] as number,
        s.expectedLinear[i] as number,
        s.log[i] as number,
        s.expectedLog[i] as number,
      ]),
    },
  ];
  const figures: Figure[] = [
    {
      kind: 'bar',
      id: 'lr-sampling',
      title: 'Learning rates per decade: uniform vs log-uniform sampling',
      y: { label: 'fraction of samples', domain: [0, 1] },
      categories: DECADES.map((d) => d.label),
      series: [
        { name: 'uniform', values: s.linear },
        { name: 'log-uniform', values: s.log },
      ],
    },
  ];
  return { findings, tables, figures };
}

/** The spread of k-fold cross-validation. */
export function cvOutputs(repeats: CvRepeat[], examples: number): LabOutput {
  const k = repeats[0]?.scores.length ?? 0;
  const all = repeats.flatMap((r) => r.scores);
  const p = mean(all);
  const foldStd = Math.sqrt(mean(repeats.map((r) => r.std ** 2)));
  const meanStd = sampleStd(repeats.map((r) => r.mean));
  // A fold scores m = n/k examples: its accuracy has a binomial standard error √(p(1 − p)/m).
  const binomial = Math.sqrt((p * (1 - p)) / (examples / k));
  const findings: Finding[] = [
    {
      statement: `Single folds scatter by about the binomial sampling error √(p(1 − p)/m) of ${examples / k} examples (between half and twice it)`,
      measured: `fold std ${fmt(foldStd, 2)} (root mean square over ${repeats.length} shuffles) vs binomial ${fmt(binomial, 2)} at mean accuracy ${fmt(p)}`,
      held: foldStd >= binomial / 2 && foldStd <= 2 * binomial,
    },
    {
      statement: `The ${k}-fold mean varies less across reshuffles than single folds do`,
      measured: `std of the mean over ${repeats.length} shuffles ${fmt(meanStd, 2)} vs fold std ${fmt(foldStd, 2)} (${fmt(foldStd / Math.sqrt(k), 2)} if the folds were independent)`,
      held: meanStd < foldStd,
    },
  ];
  const tables: Table[] = [
    {
      title: `${k}-fold cross-validation of a 64–32–10 MLP on ${examples} digits, ${repeats.length} shuffles`,
      columns: ['shuffle seed', 'fold accuracies', 'mean', 'std'],
      rows: repeats.map((r) => [r.seed, r.scores.map((s) => fmt(s)).join(' '), r.mean, r.std]),
    },
  ];
  // One bin per 1/m accuracy step (m examples per fold), so no two scores share a bin by rounding.
  const m = examples / k;
  const lo = Math.floor(Math.min(...all) * m) / m;
  const hi = Math.ceil(Math.max(...all) * m) / m;
  const bins = Math.max(1, Math.round((hi - lo) * m) + 1);
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo - 0.5 / m + i / m);
  const counts = (v: number[]) => {
    const c = new Array<number>(bins).fill(0);
    for (const x of v)
      c[Math.min(bins - 1, Math.max(0, Math.floor((x - (edges[0] as number)) * m)))]++;
    return c;
  };
  const figures: Figure[] = [
    {
      kind: 'histogram',
      id: 'cv-spread',
      title: `Single-fold accuracies vs ${k}-fold means over ${repeats.length} shuffles`,
      caption: `One bin per 1/${m} of accuracy; the means pile up where single folds spread out.`,
      x: { label: 'validation accuracy' },
      panels: [
        { name: `single folds (${all.length})`, edges, counts: counts(all) },
        {
          name: `${k}-fold means (${repeats.length})`,
          edges,
          counts: counts(repeats.map((r) => r.mean)),
        },
      ],
    },
  ];
  return { findings, tables, figures };
}
