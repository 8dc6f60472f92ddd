/**
 * Figures as data. The lab, `nerve train --report`, `nerve tune --report`
 * and `nerve lr-find --report` describe what to draw with these plain,
 * JSON-serializable objects; @nerve/plot turns them into SVG (through
 * Observable Plot, in Node and in the browser alike) or into a small text
 * plot for the terminal. Nothing here renders.
 */

/** An axis: its label, and whether it is logarithmic. */
export interface Axis {
  /** The axis title. */
  label: string;
  /** Logarithmic scale (values must be positive; others are dropped with a note). */
  log?: boolean;
  /** Fixed domain [min, max]; the data's extent when absent. */
  domain?: [number, number];
  /** Ticks at whole numbers only (epochs, steps): never 1.5 (linear axes). */
  integer?: boolean;
}

/** One named line or point set. `x` and `y` have the same length. */
export interface Series {
  /** Legend name of the series. */
  name: string;
  /** x coordinates. */
  x: number[];
  /** y coordinates, one per x. */
  y: number[];
  /**
   * False: drawn in grey and left out of the legend, which stays short
   * where many series are drawn (e.g. all but the best trials of a study).
   */
  legend?: boolean;
}

/** A horizontal band drawn behind the data, such as the 1e-3 update/weight-ratio target. */
export interface Band {
  /** Legend label of the band. */
  label: string;
  /** Lower edge of the band, in y units. */
  y1: number;
  /** Upper edge of the band, in y units. */
  y2: number;
}

/** Lines (or points) of y against x, one per series. */
export interface LineFigure {
  /** Discriminates the figure kinds. */
  kind: 'line';
  /** A stable identifier (used for file names and anchors). */
  id: string;
  /** Heading shown with the figure. */
  title: string;
  /** A sentence shown under the figure: what to see in it. */
  caption?: string;
  /** The horizontal axis. */
  x: Axis;
  /** The vertical axis. */
  y: Axis;
  /** The lines, one per series. */
  series: Series[];
  /** Draw dots instead of lines (default false). */
  points?: boolean;
  /** Horizontal bands drawn behind the data. */
  bands?: Band[];
  /** Small multiples: one panel per distinct `facet` of the series, when set. */
  facetBy?: 'series';
}

/** Precomputed histogram bins: counts[i] falls in [edges[i], edges[i+1]). */
export interface Histogram {
  /** Panel title (e.g. the layer's name). */
  name: string;
  /** Bin edges, one more than counts. */
  edges: number[];
  /** Count of values per bin. */
  counts: number[];
}

/** One histogram per panel (e.g. per layer), side by side. */
export interface HistogramFigure {
  /** Discriminates the figure kinds. */
  kind: 'histogram';
  /** A stable identifier (used for file names and anchors). */
  id: string;
  /** Heading shown with the figure. */
  title: string;
  /** A sentence shown under the figure: what to see in it. */
  caption?: string;
  /** The horizontal axis (values binned). */
  x: Axis;
  /** One histogram per panel. */
  panels: Histogram[];
}

/** Labelled 2-D points, coloured by group (e.g. the preprocessing figure). */
export interface ScatterFigure {
  /** Discriminates the figure kinds. */
  kind: 'scatter';
  /** A stable identifier (used for file names and anchors). */
  id: string;
  /** Heading shown with the figure. */
  title: string;
  /** A sentence shown under the figure: what to see in it. */
  caption?: string;
  /** The horizontal axis. */
  x: Axis;
  /** The vertical axis. */
  y: Axis;
  /** One panel per group when `facet` is true; otherwise all groups share a panel. */
  groups: {
    /** Legend name of the group. */
    name: string;
    /** x coordinates. */
    x: number[];
    /** y coordinates, one per x. */
    y: number[];
  }[];
  /** One panel per group instead of one shared panel (default false). */
  facet?: boolean;
  /** Equal units on both axes (default false). */
  square?: boolean;
}

/** Bars, one per category, optionally grouped by series. */
export interface BarFigure {
  /** Discriminates the figure kinds. */
  kind: 'bar';
  /** A stable identifier (used for file names and anchors). */
  id: string;
  /** Heading shown with the figure. */
  title: string;
  /** A sentence shown under the figure: what to see in it. */
  caption?: string;
  /** The value axis. */
  y: Axis;
  /** Category names along x. */
  categories: string[];
  /** One value per category for each series. */
  series: {
    /** Legend name of the series. */
    name: string;
    /** One value per category. */
    values: number[];
  }[];
}

/** Row-major matrices drawn as heat maps, one panel each (covariances, images). */
export interface HeatmapFigure {
  /** Discriminates the figure kinds. */
  kind: 'heatmap';
  /** A stable identifier (used for file names and anchors). */
  id: string;
  /** Heading shown with the figure. */
  title: string;
  /** A sentence shown under the figure: what to see in it. */
  caption?: string;
  /** The matrices: a title, the numbers of rows and columns, and rows·cols values row-major. */
  panels: {
    /** Panel title. */
    name: string;
    /** Number of rows. */
    rows: number;
    /** Number of columns. */
    cols: number;
    /** rows·cols values, row-major. */
    values: number[];
  }[];
  /** 'diverging' centres the colours on zero (covariances); 'gray' for images. */
  scheme?: 'diverging' | 'gray' | 'sequential';
}

/** Any figure @nerve/plot draws, told apart by `kind`. */
export type Figure = LineFigure | HistogramFigure | ScatterFigure | BarFigure | HeatmapFigure;

/** A table of results. */
export interface Table {
  /** Heading shown above the table. */
  title?: string;
  /** Column headings. */
  columns: string[];
  /** The rows, one cell per column; null is an empty cell. */
  rows: (string | number | null)[][];
}

/** One checked statement: what was expected, what was measured, whether it held. */
export interface Finding {
  /** The statement, in words ("He init keeps the std of layer 10 above 0.5"). */
  statement: string;
  /** What was measured, in words with numbers ("std 0.83 at layer 10"). */
  measured: string;
  /** Whether the measurement agrees with the statement. */
  held: boolean;
}

/** A section of an HTML report. */
export interface ReportSection {
  /** The section's heading. */
  heading: string;
  /** Paragraphs of plain text (escaped when rendered). */
  text?: string[];
  /** Checked statements shown as a list with held/failed marks. */
  findings?: Finding[];
  /** Tables of results. */
  tables?: Table[];
  /** Figures, drawn as inline SVG. */
  figures?: Figure[];
}

/** A whole self-contained HTML report. */
export interface Report {
  /** The report's title (also the page title). */
  title: string;
  /** A line under the title. */
  subtitle?: string;
  /** The sections, in order. */
  sections: ReportSection[];
}
