/**
 * Small plots for terminals. Line and scatter figures become a character
 * grid with a y range on the left, an x range underneath and a legend (one
 * character per series, log axes respected); histograms a row of block
 * characters per panel; bars horizontal bars; heat maps numbers or shades.
 */
import { NerveError, describeValue } from '@nerve/core';
import type {
  Axis,
  BarFigure,
  Figure,
  HeatmapFigure,
  HistogramFigure,
  LineFigure,
  ScatterFigure,
} from './figure.js';
import { formatNumber } from './format.js';
import { domainOf, usable } from './scales.js';
import { checkFigure } from './validate.js';

/** Options of textPlot: the plot area in characters. */
export interface TextPlotOptions {
  /** Columns of the plot area (default 60). */
  width?: number;
  /** Rows of the plot area (default 12). */
  height?: number;
}

/** The characters of successive series. */
const MARKS = ['*', '+', 'o', 'x', '#', '@', '%', '&'];
const BLOCKS = ' ▁▂▃▄▅▆▇█';
const SHADES = ' ░▒▓█';

function size(op: string, v: number | undefined, fallback: number, min: number): number {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < min || n > 1000) {
    throw new NerveError(op, `an integer size from ${min} to 1000`, describeValue(n));
  }
  return n;
}

/** Maps a value to 0..1 along an axis (log10 on a log axis). */
function along(axis: Axis, d: [number, number]) {
  const t = axis.log ? Math.log10 : (v: number) => v;
  const lo = t(d[0]);
  const span = t(d[1]) - lo || 1;
  return (v: number) => (t(v) - lo) / span;
}

function points(fig: LineFigure | ScatterFigure, w: number, h: number): string {
  const sets = fig.kind === 'line' ? fig.series : fig.groups;
  const joined = fig.kind === 'line' && !fig.points;
  const bands = fig.kind === 'line' ? (fig.bands ?? []) : [];
  let dropped = 0;
  for (const s of sets)
    for (let i = 0; i < s.x.length; i++) {
      if (
        (fig.x.log && !usable(s.x[i] as number, true)) ||
        (fig.y.log && !usable(s.y[i] as number, true))
      )
        dropped++;
    }
  const xd = domainOf(
    fig.x,
    sets.flatMap((s) => s.x),
  );
  const yd = domainOf(fig.y, [...sets.flatMap((s) => s.y), ...bands.flatMap((b) => [b.y1, b.y2])]);
  const fx = along(fig.x, xd);
  const fy = along(fig.y, yd);
  const grid = Array.from({ length: h }, () => Array.from({ length: w }, () => ' '));
  const put = (c: number, r: number, ch: string) => {
    if (c >= 0 && c < w && r >= 0 && r < h) (grid[r] as string[])[c] = ch;
  };
  const row = (y: number) => Math.round((1 - fy(y)) * (h - 1));
  for (const b of bands) {
    const r1 = row(Math.max(b.y1, fig.y.log && b.y1 <= 0 ? yd[0] : b.y1));
    const r2 = row(b.y2);
    for (let r = Math.max(0, Math.min(r1, r2)); r <= Math.min(h - 1, Math.max(r1, r2)); r++) {
      for (let c = 0; c < w; c++) put(c, r, '·');
    }
  }
  sets.forEach((s, k) => {
    const ch = MARKS[k % MARKS.length] as string;
    let prev: [number, number] | undefined;
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i] as number;
      const y = s.y[i] as number;
      if (!usable(x, fig.x.log) || !usable(y, fig.y.log)) {
        prev = undefined;
        continue;
      }
      const p: [number, number] = [fx(x) * (w - 1), (1 - fy(y)) * (h - 1)];
      if (joined && prev !== undefined) {
        // Fill the segment so a line reads as a line: one cell per step along its longer side.
        const steps = Math.ceil(Math.max(Math.abs(p[0] - prev[0]), Math.abs(p[1] - prev[1])));
        for (let j = 1; j < steps; j++) {
          const t = j / steps;
          put(
            Math.round(prev[0] + t * (p[0] - prev[0])),
            Math.round(prev[1] + t * (p[1] - prev[1])),
            ch,
          );
        }
      }
      put(Math.round(p[0]), Math.round(p[1]), ch);
      prev = p;
    }
  });
  const yTop = formatNumber(yd[1], 3);
  const yBottom = formatNumber(yd[0], 3);
  const lw = Math.max(yTop.length, yBottom.length);
  const lines = [fig.title];
  grid.forEach((r, i) => {
    const label = i === 0 ? yTop : i === h - 1 ? yBottom : '';
    lines.push(
      `${label.padStart(lw)} ${i === 0 || i === h - 1 ? '┤' : '│'}${r.join('').trimEnd()}`,
    );
  });
  lines.push(`${' '.repeat(lw)} └${'─'.repeat(w)}`);
  const xl = formatNumber(xd[0], 3);
  const xr = formatNumber(xd[1], 3);
  lines.push(`${' '.repeat(lw + 2)}${xl}${xr.padStart(Math.max(1, w - xl.length))}`);
  const axisName = (a: Axis) => `${a.label}${a.log ? ' (log)' : ''}`;
  lines.push(`${' '.repeat(lw + 2)}x: ${axisName(fig.x)}, y: ${axisName(fig.y)}`);
  const legend = sets.map((s, k) => `${MARKS[k % MARKS.length]} ${s.name}`);
  for (const b of bands) legend.push(`· ${b.label}`);
  if (legend.length > 1 || bands.length > 0)
    lines.push(`${' '.repeat(lw + 2)}${legend.join('  ')}`);
  if (dropped > 0)
    lines.push(
      `${' '.repeat(lw + 2)}(${dropped} non-positive value${dropped === 1 ? '' : 's'} left off the log axis)`,
    );
  return lines.join('\n');
}

function histograms(fig: HistogramFigure, w: number): string {
  const nameW = Math.max(0, ...fig.panels.map((p) => p.name.length));
  const lines = [fig.title];
  for (const p of fig.panels) {
    // Merge neighbouring bins when there are more bins than columns.
    const per = Math.ceil(p.counts.length / w);
    const merged: number[] = [];
    for (let i = 0; i < p.counts.length; i += per) {
      merged.push(p.counts.slice(i, i + per).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0));
    }
    const max = Math.max(0, ...merged);
    const bar = merged
      .map((c) => BLOCKS[max > 0 && c > 0 ? Math.ceil((c / max) * (BLOCKS.length - 1)) : 0])
      .join('');
    const range = `[${formatNumber(p.edges[0] as number, 3)}, ${formatNumber(p.edges[p.edges.length - 1] as number, 3)})`;
    lines.push(`${p.name.padEnd(nameW)}  ${bar}  ${range}`);
  }
  lines.push(`x: ${fig.x.label}${fig.x.log ? ' (log)' : ''}`);
  return lines.join('\n');
}

function bars(fig: BarFigure, w: number): string {
  const many = fig.series.length > 1;
  const labels = fig.categories.flatMap((c) =>
    fig.series.map((s) => (many ? `${c} · ${s.name}` : c)),
  );
  const values = fig.categories.flatMap((_, i) => fig.series.map((s) => s.values[i] as number));
  const lw = Math.max(...labels.map((l) => l.length));
  const max = Math.max(0, ...values.filter(Number.isFinite).map(Math.abs));
  const lines = [fig.title];
  labels.forEach((l, i) => {
    const v = values[i] as number;
    const n = max > 0 && Number.isFinite(v) ? Math.round((Math.abs(v) / max) * w) : 0;
    lines.push(`${l.padEnd(lw)}  ${'█'.repeat(n)}${n > 0 ? ' ' : ''}${formatNumber(v, 3)}`);
  });
  lines.push(`${fig.y.label}`);
  return lines.join('\n');
}

function heatmaps(fig: HeatmapFigure, w: number): string {
  const lines = [fig.title];
  for (const p of fig.panels) {
    lines.push(`${p.name} (${p.rows}×${p.cols})`);
    const at = (r: number, c: number) => p.values[r * p.cols + c] as number;
    if (fig.scheme !== 'gray' && p.rows * p.cols <= 64 && p.cols <= 8) {
      const cells = Array.from({ length: p.rows }, (_, r) =>
        Array.from({ length: p.cols }, (_, c) => formatNumber(at(r, c), 3)),
      );
      const cw = Math.max(...cells.flat().map((s) => s.length));
      for (const r of cells) lines.push(`  ${r.map((s) => s.padStart(cw)).join(' ')}`);
      continue;
    }
    const finite = p.values.filter(Number.isFinite);
    const lo = Math.min(...finite);
    const span = Math.max(...finite) - lo || 1;
    // Two characters per cell keep squares square; large matrices are sampled down to fit.
    const cols = Math.min(p.cols, Math.floor(w / 2));
    const rows = Math.max(1, Math.round((p.rows * cols) / p.cols));
    for (let r = 0; r < rows; r++) {
      let s = '';
      for (let c = 0; c < cols; c++) {
        const v = at(Math.floor((r * p.rows) / rows), Math.floor((c * p.cols) / cols));
        const ch = Number.isFinite(v)
          ? SHADES[Math.round(((v - lo) / span) * (SHADES.length - 1))]
          : '?';
        s += `${ch}${ch}`;
      }
      lines.push(`  ${s}`);
    }
  }
  return lines.join('\n');
}

/** A figure as a small text plot for terminals (see the module comment for each kind). */
export function textPlot(fig: Figure, opts: TextPlotOptions = {}): string {
  checkFigure('textPlot', fig);
  const w = size('textPlot', opts.width, 60, 10);
  const h = size('textPlot', opts.height, 12, 3);
  switch (fig.kind) {
    case 'line':
    case 'scatter':
      return points(fig, w, h);
    case 'histogram':
      return histograms(fig, w);
    case 'bar':
      return bars(fig, w);
    case 'heatmap':
      return heatmaps(fig, w);
  }
}
