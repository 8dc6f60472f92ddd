/** One figure of each kind (and variant) for the renderer tests. */
import type {
  BarFigure,
  Figure,
  HeatmapFigure,
  HistogramFigure,
  LineFigure,
  ScatterFigure,
} from '../src/figure.js';

const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

export const lineLog: LineFigure = {
  kind: 'line',
  id: 'loss',
  title: 'Loss',
  x: { label: 'epoch' },
  y: { label: 'loss', log: true },
  series: [
    { name: 'train', x: range(20, (i) => i + 1), y: range(20, (i) => 2.3 * Math.exp(-i / 5)) },
    { name: 'val', x: range(20, (i) => i + 1), y: range(20, (i) => 2.3 * Math.exp(-i / 7) + 0.1) },
  ],
  bands: [{ label: 'target band', y1: 0.05, y2: 0.2 }],
};

export const ladder: LineFigure = {
  kind: 'line',
  id: 'ladder',
  title: 'Learning-rate ladder',
  x: { label: 'learning rate', log: true },
  y: { label: 'final loss' },
  points: true,
  series: [
    { name: 'final', x: range(9, (i) => 10 ** (i - 6)), y: range(9, (i) => Math.abs(i - 5)) },
  ],
};

export const facets: LineFigure = {
  kind: 'line',
  id: 'ratios',
  title: 'Update/weight ratio per layer',
  facetBy: 'series',
  x: { label: 'step' },
  y: { label: 'ratio', log: true },
  bands: [{ label: '1e-3', y1: 3e-4, y2: 3e-3 }],
  series: range(3, (l) => ({
    name: `layer ${l + 1}`,
    x: range(30, (i) => i),
    y: range(30, (i) => 1e-3 * (l + 1) * Math.exp(-i / 15)),
  })),
};

export const histograms: HistogramFigure = {
  kind: 'histogram',
  id: 'acts',
  title: 'Activations per layer',
  x: { label: 'tanh output' },
  panels: range(4, (l) => ({
    name: `layer ${l + 1}`,
    edges: range(11, (i) => -1 + i * 0.2),
    counts: range(10, (i) => 300 - Math.abs(i - 4.5) * 10 * (l + 1)),
  })),
};

export const scatter: ScatterFigure = {
  kind: 'scatter',
  id: 'pre',
  title: 'Preprocessing',
  x: { label: 'x1' },
  y: { label: 'x2' },
  facet: true,
  square: true,
  groups: ['original', 'zero-centred'].map((name, g) => ({
    name,
    x: range(50, (i) => Math.sin(i) * 3 + (g === 0 ? 5 : 0)),
    y: range(50, (i) => Math.cos(i * 1.7)),
  })),
};

export const bars: BarFigure = {
  kind: 'bar',
  id: 'bn',
  title: 'Test accuracy',
  y: { label: 'accuracy', domain: [0, 1] },
  categories: ['lr 0.1', 'lr 1', 'lr 3'],
  series: [
    { name: 'without BN', values: [0.578, 0.4, 0.103] },
    { name: 'with BN', values: [0.95, 0.94, 0.939] },
  ],
};

export const heatmaps: HeatmapFigure = {
  kind: 'heatmap',
  id: 'cov',
  title: 'Covariance',
  scheme: 'diverging',
  panels: [
    { name: 'original', rows: 2, cols: 2, values: [4, 1.5, 1.5, 1] },
    { name: 'whitened', rows: 2, cols: 2, values: [1, 0, 0, 1] },
  ],
};

export const images: HeatmapFigure = {
  kind: 'heatmap',
  id: 'digits',
  title: 'Digits',
  scheme: 'gray',
  panels: range(3, (k) => ({
    name: `digit ${k}`,
    rows: 8,
    cols: 8,
    values: range(64, (i) => (i * (k + 3)) % 17),
  })),
};

export const allFigures: Figure[] = [
  lineLog,
  ladder,
  facets,
  histograms,
  scatter,
  bars,
  heatmaps,
  images,
];
