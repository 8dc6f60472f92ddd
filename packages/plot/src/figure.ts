/**
 * Figures as data. The lab, `nerve train --report`, `nerve tune --report`
 * and `nerve lr-find --report` describe what to draw with these plain,
 * JSON-serializable objects; @nerve/plot turns them into SVG (through
 * Observable Plot, in Node and in the browser alike) or into a small text
 * plot for the terminal. Nothing here renders.
 */

/** An axis: its label, and whether it is logarithmic. */
export interface Axis {
  label: string;
  /** Logarithmic scale (values must be positive; others are dropped with a note). */
  log?: boolean;
  /** Fixed domain [min, max]; the data's extent when absent. */
  domain?: [number, number];
}

/** One named line or point set. `x` and `y` have the same length. */
export interface Series {
  name: string;
  x: number[];
  y: number[];
}

/** A horizontal band drawn behind the data, such as the 1e-3 update/weight-ratio target. */
export interface Band {
  label: string;
  y1: number;
  y2: number;
}

/** Lines (or points) of y against x, one per series. */
export interface LineFigure {
  kind: 'line';
  id: string;
  title: string;
  caption?: string;
  x: Axis;
  y: Axis;
  series: Series[];
  /** Draw dots instead of lines (default false). */
  points?: boolean;
  bands?: Band[];
  /** Small multiples: one panel per distinct `facet` of the series, when set. */
  facetBy?: 'series';
}

/** Precomputed histogram bins: counts[i] falls in [edges[i], edges[i+1]). */
export interface Histogram {
  name: string;
  edges: number[];
  counts: number[];
}

/** One histogram per panel (e.g. per layer), side by side. */
export interface HistogramFigure {
  kind: 'histogram';
  id: string;
  title: string;
  caption?: string;
  x: Axis;
  panels: Histogram[];
}

/** Labelled 2-D points, coloured by group (e.g. the preprocessing figure). */
export interface ScatterFigure {
  kind: 'scatter';
  id: string;
  title: string;
  caption?: string;
  x: Axis;
  y: Axis;
  /** One panel per group when `facet` is true; otherwise all groups share a panel. */
  groups: { name: string; x: number[]; y: number[] }[];
  facet?: boolean;
  /** Equal units on both axes (default false). */
  square?: boolean;
}

/** Bars, one per category, optionally grouped by series. */
export interface BarFigure {
  kind: 'bar';
  id: string;
  title: string;
  caption?: string;
  y: Axis;
  /** Category names along x. */
  categories: string[];
  /** One value per category for each series. */
  series: { name: string; values: number[] }[];
}

/** Row-major matrices drawn as heat maps, one panel each (covariances, images). */
export interface HeatmapFigure {
  kind: 'heatmap';
  id: string;
  title: string;
  caption?: string;
  panels: { name: string; rows: number; cols: number; values: number[] }[];
  /** 'diverging' centres the colours on zero (covariances); 'gray' for images. */
  scheme?: 'diverging' | 'gray' | 'sequential';
}

export type Figure = LineFigure | HistogramFigure | ScatterFigure | BarFigure | HeatmapFigure;

/** A table of results. */
export interface Table {
  title?: string;
  columns: string[];
  rows: (string | number | null)[][];
}

/** One checked statement: what was expected, what was measured, whether it held. */
export interface Finding {
  /** The statement, in words ("He init keeps the std of layer 10 above 0.5"). */
  statement: string;
  /** What was measured, in words with numbers ("std 0.83 at layer 10"). */
  measured: string;
  held: boolean;
}

/** A section of an HTML report. */
export interface ReportSection {
  heading: string;
  /** Paragraphs of plain text (escaped when rendered). */
  text?: string[];
  findings?: Finding[];
  tables?: Table[];
  figures?: Figure[];
}

/** A whole self-contained HTML report. */
export interface Report {
  title: string;
  subtitle?: string;
  sections: ReportSection[];
}
