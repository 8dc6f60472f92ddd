/** Line and scatter figures as Observable Plot panels. */
import * as Plot from '@observablehq/plot';
import type { LineFigure, ScatterFigure } from './figure.js';
import type { Composition, Panel } from './layout.js';
import { axisOptions, columnsFor, domainOf, droppedNote, palette, usable } from './scales.js';

interface Row {
  s: string;
  x: number;
  y: number;
}

/** Rows of every series; a value a (log) axis cannot show becomes NaN, which Plot draws as a gap. */
function rowsOf(
  series: { name: string; x: number[]; y: number[] }[],
  xLog: boolean | undefined,
  yLog: boolean | undefined,
) {
  const rows: Row[] = [];
  let droppedX = 0;
  let droppedY = 0;
  for (const s of series) {
    for (let i = 0; i < s.x.length; i++) {
      let x = s.x[i] as number;
      let y = s.y[i] as number;
      if (!usable(x, xLog)) {
        if (xLog && Number.isFinite(x)) droppedX++;
        x = Number.NaN;
      }
      if (!usable(y, yLog)) {
        if (yLog && Number.isFinite(y)) droppedY++;
        y = Number.NaN;
      }
      rows.push({ s: s.name, x, y });
    }
  }
  return { rows, notes: [...droppedNote(droppedX, 'x'), ...droppedNote(droppedY, 'y')] };
}

/** The colour of series left out of the legend. */
const UNLISTED = '#c4c4c4';

/** A line figure: one panel with a legend, or one panel per series (facetBy 'series'). */
export function linePanels(fig: LineFigure, width: number): Composition {
  const names = fig.series.map((s) => s.name);
  const colors = palette(names).map((c, i) => (fig.series[i]?.legend === false ? UNLISTED : c));
  const { rows, notes } = rowsOf(fig.series, fig.x.log, fig.y.log);
  const bands = fig.bands ?? [];
  const xDomain = domainOf(
    fig.x,
    rows.map((r) => r.x),
  );
  const yDomain = domainOf(fig.y, [...rows.map((r) => r.y), ...bands.flatMap((b) => [b.y1, b.y2])]);
  const facet = fig.facetBy === 'series' && fig.series.length > 1;
  const cols = facet ? columnsFor(width, names.length, 220) : 1;
  const small = facet && cols > 1;
  const bandMarks = bands.map((b) => {
    const lo = fig.y.log && b.y1 <= 0 ? yDomain[0] : b.y1;
    const mid = fig.y.log ? Math.sqrt(lo * b.y2) : (lo + b.y2) / 2;
    return [
      Plot.rect([b], { y1: () => lo, y2: 'y2', fill: '#8a8a8a', fillOpacity: 0.15 }),
      Plot.text([b], { y: () => mid, text: 'label', frameAnchor: 'right', dx: -4, fill: '#555' }),
    ];
  });
  const panel = (subset: Row[], only?: number): Panel => {
    const counts = new Map<string, number>();
    for (const r of subset)
      if (Number.isFinite(r.x) && Number.isFinite(r.y)) counts.set(r.s, (counts.get(r.s) ?? 0) + 1);
    const lone = subset.filter((r) => (counts.get(r.s) ?? 0) === 1);
    const color =
      only === undefined
        ? { domain: names, range: colors }
        : { domain: [names[only] as string], range: [colors[only] as string] };
    return {
      title: only === undefined ? undefined : names[only],
      height: (w) => Math.max(small ? 160 : 220, Math.round(w * (small ? 0.7 : 0.55))),
      options: {
        x: axisOptions(fig.x, xDomain, small ? 4 : undefined),
        y: axisOptions(fig.y, yDomain, small ? 4 : undefined),
        color,
        marks: [
          ...bandMarks.flat(),
          fig.points
            ? Plot.dot(subset, { x: 'x', y: 'y', fill: 's', r: 2.5 })
            : Plot.line(subset, { x: 'x', y: 'y', z: 's', stroke: 's', strokeWidth: 1.75 }),
          ...(fig.points || lone.length === 0
            ? []
            : [Plot.dot(lone, { x: 'x', y: 'y', fill: 's', r: 3 })]),
        ],
      },
    };
  };
  const panels = facet
    ? names.map((n, i) =>
        panel(
          rows.filter((r) => r.s === n),
          i,
        ),
      )
    : [panel(rows)];
  return {
    title: fig.title,
    legend:
      !facet && names.some((n) => n !== '')
        ? names.flatMap((label, i) =>
            fig.series[i]?.legend === false
              ? []
              : [
                  {
                    label,
                    color: colors[i] as string,
                    shape: fig.points ? ('dot' as const) : ('line' as const),
                  },
                ],
          )
        : [],
    panels,
    columns: cols,
    notes,
  };
}

/** Equal units on both axes: both domains widened to the larger span about their centres. */
function squareDomains(
  x: [number, number],
  y: [number, number],
): [[number, number], [number, number]] {
  const span = Math.max(x[1] - x[0], y[1] - y[0]) * 1.05;
  const cx = (x[0] + x[1]) / 2;
  const cy = (y[0] + y[1]) / 2;
  return [
    [cx - span / 2, cx + span / 2],
    [cy - span / 2, cy + span / 2],
  ];
}

/** A scatter figure: groups coloured in one panel, or one panel per group (facet). */
export function scatterPanels(fig: ScatterFigure, width: number): Composition {
  const names = fig.groups.map((g) => g.name);
  const colors = palette(names);
  const { rows, notes } = rowsOf(fig.groups, fig.x.log, fig.y.log);
  let xDomain = domainOf(
    fig.x,
    rows.map((r) => r.x),
  );
  let yDomain = domainOf(
    fig.y,
    rows.map((r) => r.y),
  );
  const square = fig.square === true && !fig.x.log && !fig.y.log;
  if (square) [xDomain, yDomain] = squareDomains(xDomain, yDomain);
  const facet = fig.facet === true && fig.groups.length > 1;
  const cols = facet ? columnsFor(width, names.length, 170) : 1;
  const margins = { marginLeft: 44, marginRight: 12, marginTop: 18, marginBottom: 34 };
  /** The square plot area's side for a panel `w` wide: at most 380 px, centred. */
  const side = (w: number) => Math.min(w - margins.marginLeft - margins.marginRight, 380);
  const panel = (subset: Row[], only?: number): Panel => ({
    title: only === undefined ? undefined : names[only],
    height: (w) =>
      square
        ? side(w) + margins.marginTop + margins.marginBottom
        : Math.max(160, Math.round(w * (facet ? 0.8 : 0.6))),
    options: (w) => {
      const spare = square ? (w - margins.marginLeft - margins.marginRight - side(w)) / 2 : 0;
      return {
        ...margins,
        marginLeft: margins.marginLeft + spare,
        marginRight: margins.marginRight + spare,
        x: {
          ...axisOptions(fig.x, xDomain, facet ? 4 : undefined),
          ...(square ? { nice: false } : {}),
        },
        y: {
          ...axisOptions(fig.y, yDomain, facet ? 4 : undefined),
          ...(square ? { nice: false } : {}),
        },
        color: { domain: names, range: colors },
        marks: [
          ...(!fig.x.log && xDomain[0] < 0 && xDomain[1] > 0
            ? [Plot.ruleX([0], { stroke: '#bbb' })]
            : []),
          ...(!fig.y.log && yDomain[0] < 0 && yDomain[1] > 0
            ? [Plot.ruleY([0], { stroke: '#bbb' })]
            : []),
          Plot.dot(subset, { x: 'x', y: 'y', fill: 's', r: 2, fillOpacity: 0.7 }),
        ],
      };
    },
  });
  return {
    title: fig.title,
    legend:
      !facet && names.some((n) => n !== '')
        ? names.map((label, i) => ({ label, color: colors[i] as string, shape: 'dot' }))
        : [],
    panels: facet
      ? names.map((n, i) =>
          panel(
            rows.filter((r) => r.s === n),
            i,
          ),
        )
      : [panel(rows)],
    columns: cols,
    notes,
  };
}
