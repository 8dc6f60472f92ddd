/** Histogram, bar and heat-map figures as Observable Plot panels. */
import * as Plot from '@observablehq/plot';
import type { BarFigure, HeatmapFigure, HistogramFigure } from './figure.js';
import { formatNumber } from './format.js';
import type { Composition, Panel } from './layout.js';
import { axisOptions, columnsFor, domainOf, droppedNote, palette, usable } from './scales.js';

/** Histograms as small multiples sharing the x axis (each panel its own count axis). */
export function histogramPanels(fig: HistogramFigure, width: number): Composition {
  const [color] = palette(['counts']);
  let dropped = 0;
  const bins = fig.panels.map((p) =>
    p.counts.flatMap((c, i) => {
      const x1 = p.edges[i] as number;
      const x2 = p.edges[i + 1] as number;
      if (!usable(x1, fig.x.log) || !usable(x2, fig.x.log) || !Number.isFinite(c)) {
        dropped++;
        return [];
      }
      return [{ x1, x2, c }];
    }),
  );
  const xDomain = domainOf(
    fig.x,
    bins.flat().flatMap((b) => [b.x1, b.x2]),
  );
  const largest = Math.max(0, ...bins.flat().map((b) => b.c));
  const cols = columnsFor(width, fig.panels.length, 125);
  const many = cols > 2;
  const panels: Panel[] = fig.panels.map((p, i) => ({
    title: fig.panels.length > 1 || p.name !== fig.title ? p.name : undefined,
    height: (w) => Math.max(120, Math.round(w * (many ? 1 : 0.55))),
    options: {
      marginLeft: 40,
      x: axisOptions(fig.x, xDomain, many ? 2 : undefined),
      // Large counts in SI form (40k) fit the narrow panels' left margin;
      // small values and fractions keep the default format (not 700m).
      y: {
        label: many ? null : 'count',
        grid: true,
        ticks: many ? 3 : undefined,
        ...(largest >= 1e4 ? { tickFormat: thousands } : {}),
      },
      marks: [
        Plot.rectY(bins[i] ?? [], { x1: 'x1', x2: 'x2', y: 'c', fill: color, inset: 0.5 }),
        Plot.ruleY([0]),
      ],
    },
  }));
  return {
    title: fig.title,
    legend: [],
    panels,
    columns: cols,
    notes:
      dropped > 0
        ? [`${dropped} bin${dropped === 1 ? '' : 's'} outside the log x axis left off.`]
        : [],
  };
}

/** A count in thousands (40k); zero and counts under 1,000 as they are. */
function thousands(v: number): string {
  return Math.abs(v) >= 1000 ? `${formatNumber(v / 1000, 3)}k` : formatNumber(v, 3);
}

/** Bars per category; several series as grouped bars with a legend. On a log y axis bars rise from the axis's lower end. */
export function barPanels(fig: BarFigure, _width: number): Composition {
  const names = fig.series.map((s) => s.name);
  const colors = palette(names);
  const rows = fig.series.flatMap((s) =>
    s.values.flatMap((v, i) =>
      usable(v, fig.y.log) ? [{ c: fig.categories[i] as string, s: s.name, v }] : [],
    ),
  );
  const dropped = fig.series.length * fig.categories.length - rows.length;
  const values = rows.map((r) => r.v);
  const fitted = domainOf(fig.y, fig.y.log ? values : [0, ...values]);
  // Log bars rise from the decade at or below the smallest value, so even it shows.
  const base = fig.y.log ? Math.min(fitted[0], 10 ** Math.floor(Math.log10(fitted[0]))) : 0;
  const yDomain: [number, number] =
    fig.y.log && fig.y.domain === undefined ? [base, fitted[1]] : fitted;
  const grouped = fig.series.length > 1;
  const longest = Math.max(0, ...fig.categories.map((c) => c.length));
  const rotate = longest * fig.categories.length * 6.5 > 560;
  const labels = rows.length <= 30;
  const at = grouped ? { fx: 'c', x: 's', y: 'v' } : { x: 'c', y: 'v' };
  const bar = fig.y.log
    ? Plot.barY(rows, { ...at, y1: Math.max(base, yDomain[0]), y2: 'v', fill: 's' })
    : Plot.barY(rows, { ...at, fill: 's' });
  const panel: Panel = {
    height: (w) => Math.max(220, Math.round(w * 0.5)) + (rotate ? longest * 4 : 0),
    options: {
      marginBottom: rotate ? 20 + longest * 5 : 30,
      ...(grouped
        ? {
            fx: {
              domain: fig.categories,
              label: null,
              axis: 'bottom',
              padding: 0.12,
              tickRotate: rotate ? -30 : 0,
            },
            x: { domain: names, axis: null, padding: 0.05 },
          }
        : {
            x: { domain: fig.categories, label: null, padding: 0.2, tickRotate: rotate ? -30 : 0 },
          }),
      y: axisOptions(fig.y, yDomain),
      color: { domain: names, range: colors },
      marks: [
        bar,
        ...(fig.y.log ? [] : [Plot.ruleY([0])]),
        ...(labels
          ? [
              Plot.text(rows, {
                ...at,
                text: (r: { v: number }) => formatNumber(r.v, 3),
                dy: -7,
                fontSize: 9,
              }),
            ]
          : []),
      ],
    },
  };
  return {
    title: fig.title,
    legend: grouped
      ? names.map((label, i) => ({ label, color: colors[i] as string, shape: 'box' }))
      : [],
    panels: [panel],
    columns: 1,
    notes: fig.y.log ? droppedNote(dropped, 'y') : [],
  };
}

const SCHEMES = { diverging: 'burd', gray: 'greys', sequential: 'viridis' } as const;

/**
 * Matrices as heat maps, each panel with its own colour range (a covariance
 * before and after whitening differ by orders of magnitude). Diverging
 * colours are centred on zero; small matrices carry their values as text.
 */
export function heatmapPanels(fig: HeatmapFigure, width: number): Composition {
  const scheme = fig.scheme ?? 'sequential';
  const cols = columnsFor(width, fig.panels.length, 110);
  const panels: Panel[] = fig.panels.map((p) => {
    const cells = p.values.map((v, k) => ({ r: Math.floor(k / p.cols), c: k % p.cols, v }));
    const finite = p.values.filter(Number.isFinite);
    let lo = Math.min(...finite);
    let hi = Math.max(...finite);
    if (finite.length === 0) [lo, hi] = [0, 1];
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    const domain: [number, number] =
      scheme === 'diverging' ? [-m, m] : lo === hi ? [lo - 1, hi + 1] : [lo, hi];
    const withText = scheme !== 'gray' && p.rows * p.cols <= 36;
    // Text over a dark cell is white: far from zero on diverging colours,
    // in the lower half of the range on viridis.
    const dark = (v: number) =>
      scheme === 'diverging'
        ? Math.abs(v) / m > 0.55
        : (v - domain[0]) / (domain[1] - domain[0]) < 0.5;
    const label = (cellsOf: typeof cells, fill: string) =>
      Plot.text(cellsOf, {
        x: 'c',
        y: 'r',
        text: (d: { v: number }) => formatNumber(d.v, 3),
        fill,
        fontSize: 11,
      });
    // Cells stay near square: the grid is at most `cap` px on its long side, centred in the panel.
    const cap = withText ? 180 : 320;
    const gridW = (w: number) => Math.min(w - 4, (cap * p.cols) / Math.max(p.rows, p.cols));
    const gridH = (w: number) => Math.min(1.5 * gridW(w), (gridW(w) * p.rows) / p.cols);
    return {
      title: p.name,
      height: (w) => Math.round(gridH(w)) + 4,
      options: (w) => {
        const spare = (w - 4 - gridW(w)) / 2;
        return {
          margin: 2,
          marginLeft: 2 + spare,
          marginRight: 2 + spare,
          x: { domain: Array.from({ length: p.cols }, (_, i) => i), axis: null, padding: 0 },
          y: { domain: Array.from({ length: p.rows }, (_, i) => i), axis: null, padding: 0 },
          color: {
            type: scheme === 'diverging' ? 'diverging' : 'linear',
            scheme: SCHEMES[scheme],
            domain,
          },
          marks: [
            Plot.cell(cells, { x: 'c', y: 'r', fill: 'v', inset: 0 }),
            ...(withText
              ? [
                  label(
                    cells.filter((d) => dark(d.v)),
                    'white',
                  ),
                  label(
                    cells.filter((d) => !dark(d.v)),
                    '#1a1a1a',
                  ),
                ]
              : []),
          ],
        };
      },
    };
  });
  return { title: fig.title, legend: [], panels, columns: cols, notes: [] };
}
