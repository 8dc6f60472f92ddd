/**
 * Medians, the printed tables and the first-loss check of `pnpm bench:cpu`.
 */
import type { Workload } from './workloads.js';

/** Everything measured for one workload in one column. */
export interface CellResult {
  values: number[];
  unit?: string;
  check?: number;
  error?: string;
}

/** Results by workload name, then column id. */
export type Results = Record<string, Record<string, CellResult>>;

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** What the table shows for a cell that has no number. */
export function shortError(message: string): string {
  if (message.startsWith('nerve only')) return '—';
  const kernel = /Kernel '(\w+)' not registered/.exec(message);
  return kernel ? `n/a (${kernel[1]} missing)` : 'n/a';
}

function render(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  '))
    .join('\n');
}

/** The medians table, the ratio table (base / column: > 1 means nerve is faster) and notes. */
export function formatTables(
  workloads: Workload[],
  columns: string[],
  base: string | undefined,
  results: Results,
): string {
  const notes: string[] = [];
  const value = (w: string, c: string): number | undefined => {
    const r = results[w]?.[c];
    return r && r.values.length > 0 ? median(r.values) : undefined;
  };
  const medians: string[][] = [['workload', ...columns]];
  for (const w of workloads) {
    medians.push([
      w.label.replace(/ steps\/s$/, ''),
      ...columns.map((c) => {
        const r = results[w.name]?.[c];
        const v = value(w.name, c);
        if (v !== undefined) return fmt(v);
        if (r?.error) {
          const short = shortError(r.error);
          if (short === 'n/a') notes.push(`${c} / ${w.name}: ${r.error}`);
          return short;
        }
        return '—';
      }),
    ]);
  }
  let out = `GFLOP/s for matmul rows, training steps/s for MLP and CNN (median over rounds)\n${render(medians)}`;
  const others = columns.filter((c) => c !== base);
  if (base && others.length > 0) {
    const ratios: string[][] = [['workload', ...others]];
    for (const w of workloads) {
      const b = value(w.name, base);
      ratios.push([
        w.label.replace(/ steps\/s$/, ''),
        ...others.map((c) => {
          const v = value(w.name, c);
          return b !== undefined && v !== undefined ? `${(b / v).toFixed(2)}×` : '—';
        }),
      ]);
    }
    out += `\n\nRatio ${base} / column (above 1: ${base} is faster)\n${render(ratios)}`;
  }
  const before = perGroupSpeedups(workloads, columns, results);
  if (before) out += `\n\n${before}`;
  const checks = checkValues(workloads, columns, results);
  if (checks) out += `\n\n${checks}`;
  if (notes.length > 0) out += `\n\nErrors:\n${notes.map((n) => `  ${n}`).join('\n')}`;
  return out;
}

/**
 * Before / after for the nerve columns: each depthwise row against its
 * per-group row (the same work on the path core took before the grouped kernels).
 */
function perGroupSpeedups(workloads: Workload[], columns: string[], results: Results): string {
  const lines: string[] = [];
  for (const w of workloads) {
    if (w.kind !== 'depthwise' || !w.perGroup) continue;
    const after = w.name.replace(/-pergroup$/, '');
    for (const c of columns) {
      const old = results[w.name]?.[c]?.values ?? [];
      const now = results[after]?.[c]?.values ?? [];
      if (old.length === 0 || now.length === 0) continue;
      const [o, n] = [median(old), median(now)];
      lines.push(`  ${after} ${c}: ${fmt(o)} → ${fmt(n)} steps/s, ${(n / o).toFixed(1)}× faster`);
    }
  }
  return lines.length > 0
    ? `Grouped kernels against the per-group path (same run):\n${lines.join('\n')}`
    : '';
}

/**
 * Every library starts from the same operands, weights and data, so Σ|C| of
 * a product and the first-step loss must agree to float32 rounding (relative
 * 1e-4): a check that all of them did the same work.
 */
function checkValues(workloads: Workload[], columns: string[], results: Results): string {
  const lines: string[] = [];
  for (const w of workloads) {
    const got = columns
      .map((c) => [c, results[w.name]?.[c]?.check] as const)
      .filter((e): e is readonly [string, number] => e[1] !== undefined);
    if (got.length === 0) continue;
    const vs = got.map(([, v]) => v);
    const hi = Math.max(...vs);
    const agree = hi - Math.min(...vs) <= 1e-4 * Math.max(Math.abs(hi), 1e-30);
    const what =
      w.kind === 'matmul' ? 'Σ|C|' : w.kind === 'depthwise' ? 'Σ y·dy' : 'first-step loss';
    const shown = agree
      ? `${hi.toPrecision(7)}, ${got.length} columns agree`
      : `${got.map(([c, v]) => `${c} ${v.toPrecision(7)}`).join(', ')}: DIFFER, not the same work`;
    lines.push(`  ${w.name.padEnd(7)} ${what} ${shown}`);
  }
  return lines.length > 0
    ? `Checks (same operands, weights and data in every column):\n${lines.join('\n')}`
    : '';
}
