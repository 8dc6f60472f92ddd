/**
 * The study report: trials best first, the best configuration, the ranges
 * of each coarse-to-fine stage, and the warnings a practitioner would give
 * (CS231n: a best value at the edge of its range means the range was wrong).
 */
import { type Value, isLog, positionInRange } from './params.js';
import { rankTrials } from './ranking.js';
import type { RangeSummary } from './space.js';
import type { StudyResult } from './study.js';

/** Fraction of a range (log scale for log parameters) counted as its edge. */
export const EDGE_FRACTION = 0.1;
/** Trials per searched parameter below which a random search is called too small. */
export const TRIALS_PER_PARAMETER = 5;

/** A number for a table: 4 significant digits, exponent form when tiny or huge. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return Number(v.toPrecision(4)).toExponential();
  return String(Number(v.toPrecision(4)));
}

function formatValue(v: Value | undefined): string {
  if (v === undefined) return '';
  return typeof v === 'number' ? formatNumber(v) : String(v);
}

function formatRange(r: RangeSummary): string {
  if ('values' in r) return `{${r.values.map((v) => formatValue(v)).join(', ')}}`;
  return `[${formatNumber(r.low)}, ${formatNumber(r.high)}]${r.log ? ' log' : ''}`;
}

/** The warnings for a study, one sentence each. */
export function studyWarnings(result: StudyResult): string[] {
  const out: string[] = [];
  const { trials, best, space: sp, metric } = result;
  const failed = trials.filter((t) => t.status === 'failed');
  if (trials.length > 0 && failed.length === trials.length) {
    out.push(
      `every trial failed or gave a non-finite ${metric} (first: ${failed[0].reason ?? 'no reason'}): check the objective, and lower the learning-rate range if the loss diverged`,
    );
  } else if (failed.length > trials.length / 2) {
    out.push(
      `${failed.length} of ${trials.length} trials failed or diverged: the ranges include many bad settings; narrow them`,
    );
  }
  if (best) {
    for (const key of sp.keys) {
      const v = best.config[key];
      const p = sp.base(key);
      if (p.kind === 'choice' || typeof v !== 'number') continue;
      const pos = positionInRange(p, v);
      const scale = isLog(p) ? ' (log scale)' : '';
      const range = `[${formatNumber(p.low)}, ${formatNumber(p.high)}]`;
      if (pos <= EDGE_FRACTION) {
        out.push(
          `best ${key} = ${formatNumber(v)} is in the lowest ${EDGE_FRACTION * 100}% of its range ${range}${scale}: the optimum may lie below it; widen the range downward`,
        );
      } else if (pos >= 1 - EDGE_FRACTION) {
        out.push(
          `best ${key} = ${formatNumber(v)} is in the highest ${EDGE_FRACTION * 100}% of its range ${range}${scale}: the optimum may lie above it; widen the range upward`,
        );
      }
    }
  }
  if (result.searcher.kind !== 'grid' && failed.length < trials.length) {
    const dims = sp.keys.filter((k) => {
      const p = sp.base(k);
      return p.kind !== 'choice' || p.values.length > 1;
    }).length;
    const useful = trials.filter((t) => t.status !== 'failed').length;
    const want = TRIALS_PER_PARAMETER * dims;
    if (useful < want) {
      out.push(
        `only ${useful} useful trials for ${dims} searched parameters: too few to trust the best one; run at least ${want} (random search needs more trials as parameters are added)`,
      );
    }
  }
  return out;
}

/** A table padded to column widths. */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r
      .map((v, c) => v.padEnd(widths[c]))
      .join('  ')
      .trimEnd(),
  );
}

/** The study as text: trials by objective, best configuration, stage ranges and warnings. */
export function formatStudy(result: StudyResult, opts: { top?: number } = {}): string {
  const { metric, mode, space: sp } = result;
  const ranked = rankTrials(result.trials, mode);
  const shown = opts.top === undefined ? ranked : ranked.slice(0, opts.top);
  const lines: string[] = [
    `study: ${result.trials.length} trials, ${result.searcher.kind} search, ${metric} (${mode}), seed ${result.seed}${result.resumed > 0 ? `, ${result.resumed} read back from the study file` : ''}`,
  ];
  const rows = [['rank', 'trial', 'status', metric, 'epochs', ...sp.keys]];
  shown.forEach((t, i) => {
    const epochs = t.history.length > 0 ? t.history[t.history.length - 1].epoch : 0;
    rows.push([
      String(i + 1),
      String(t.id),
      t.status,
      formatNumber(t.objective),
      String(epochs),
      ...sp.keys.map((k) => formatValue(t.config[k])),
    ]);
  });
  lines.push(...table(rows));
  if (shown.length < ranked.length) lines.push(`… ${ranked.length - shown.length} more`);
  if (result.stages.length > 1) {
    lines.push('stages:');
    for (const s of result.stages) {
      const ranges = sp.keys.map((k) =>
        s.ranges[k] ? `${k} ${formatRange(s.ranges[k])}` : `${k} (dropped)`,
      );
      lines.push(
        `  stage ${s.stage} (trials ${s.firstId}–${s.firstId + s.trials - 1}): ${ranges.join(', ')}`,
      );
    }
  }
  const best = result.best;
  if (best) {
    const cfg = sp.keys
      .filter((k) => k in best.config)
      .map((k) => `${k}=${formatValue(best.config[k])}`);
    lines.push(
      `best: trial ${best.id}, ${metric} ${formatNumber(best.objective)}: ${cfg.join(' ')}`,
    );
  } else {
    lines.push('best: none (no trial finished)');
  }
  for (const w of studyWarnings(result)) lines.push(`warning: ${w}`);
  return lines.join('\n');
}
