/**
 * The playground's monitors as @nerve/plot figures (drawn in the page's own
 * document), and the decision boundary on a canvas. @nerve/plot is imported
 * on first use, so it stays out of the page's initial JavaScript.
 */
import type { Figure } from '@nerve/plot';
import type { PlanePoints, PlaygroundSnapshot } from './playground-core.js';

/** Class colours: points (strong) and the boundary under them (the same hue, lighter). */
export const CLASS_COLOURS: readonly [number, number, number][] = [
  [228, 87, 46],
  [52, 81, 178],
  [41, 163, 90],
  [155, 89, 182],
  [230, 180, 30],
  [23, 162, 184],
  [120, 120, 120],
  [200, 60, 120],
  [90, 60, 20],
  [0, 0, 0],
];

/** The update/weight ratio guide of CS231n's "babysitting": about 1e-3 is healthy. */
const GUIDE = 1e-3;

let plot: Promise<typeof import('@nerve/plot')> | undefined;

/** At most `max` evenly spaced indices of 0..n−1 (always the last), for drawing long curves. */
function thin(n: number, max = 400): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  const stride = (n - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(Math.round(i * stride));
  return out;
}

/** The figures of one snapshot, in the order the page lays them out. */
export function figures(s: PlaygroundSnapshot): Record<string, Figure | null> {
  const idx = thin(s.curves.epoch.length);
  const pick = (v: number[]) => idx.map((i) => v[i] as number);
  const ep = pick(s.curves.epoch);
  const layerNames = s.layers.map((l) => `layer ${l.index}`);
  const ratioSeries = s.layers.map((l) => {
    const j = thin(l.updateRatio.length);
    return {
      name: `layer ${l.index}`,
      x: j.map((i) => i + 1),
      y: j.map((i) => l.updateRatio[i] as number),
    };
  });
  const relu = s.layers.some((l) => l.dead !== undefined);
  const saturating = s.layers.some((l) => l.saturated !== undefined);
  const have = s.epoch > 0;
  return {
    loss: have
      ? {
          kind: 'line',
          id: 'pg-loss',
          title: 'Loss per epoch',
          x: { label: 'epoch', integer: true },
          y: { label: 'cross-entropy', log: true },
          series: [
            { name: 'train', x: ep, y: pick(s.curves.trainLoss) },
            { name: 'val', x: ep, y: pick(s.curves.valLoss) },
          ],
        }
      : null,
    accuracy: have
      ? {
          kind: 'line',
          id: 'pg-accuracy',
          title: 'Accuracy per epoch',
          x: { label: 'epoch', integer: true },
          y: { label: 'accuracy', domain: [0, 1] },
          series: [
            { name: 'train', x: ep, y: pick(s.curves.trainAcc) },
            { name: 'val', x: ep, y: pick(s.curves.valAcc) },
          ],
        }
      : null,
    ratio: have
      ? {
          kind: 'line',
          id: 'pg-update-ratio',
          title: 'Update/weight ratio ‖Δw‖/‖w‖ per layer',
          x: { label: 'epoch', integer: true },
          y: { label: 'ratio', log: true },
          series: [
            ...ratioSeries,
            { name: '1e-3 guide', x: [1, Math.max(2, s.epoch)], y: [GUIDE, GUIDE] },
          ],
        }
      : null,
    grad: have
      ? {
          kind: 'bar',
          id: 'pg-grad-norm',
          title: 'Weight gradient norm ‖∂L/∂W‖ per layer (last epoch)',
          y: { label: 'norm', log: true },
          categories: layerNames,
          // A zero norm cannot sit on a log axis: the smallest float32 instead.
          series: [{ name: 'gradient', values: s.layers.map((l) => Math.max(l.gradNorm, 1e-38)) }],
        }
      : null,
    units:
      have && (relu || saturating)
        ? {
            kind: 'bar',
            id: 'pg-units',
            title: relu
              ? 'Dead units per layer (never positive in the last epoch)'
              : 'Saturated outputs per layer (within 0.02 of the asymptotes)',
            y: { label: 'fraction', domain: [0, 1] },
            categories: layerNames,
            series: [
              {
                name: relu ? 'dead' : 'saturated',
                values: s.layers.map((l) => (relu ? (l.dead ?? 0) : (l.saturated ?? 0))),
              },
            ],
          }
        : null,
    histograms:
      have && s.layers.every((l) => l.histogram.edges.length > 1)
        ? {
            kind: 'histogram',
            id: 'pg-histograms',
            title: 'Activations per layer (last epoch, share of outputs)',
            x: { label: 'activation' },
            panels: s.layers.map((l) => ({
              name: `layer ${l.index} (std ${l.std.toPrecision(2)})`,
              edges: l.histogram.edges,
              counts: l.histogram.fractions,
            })),
          }
        : null,
  };
}

/**
 * The longest single drawing task on the page's thread so far, overall and
 * per figure ('boundary' for the canvas), for the test's report.
 */
export const drawStats: { longestMs: number; byFigure: Record<string, number> } = {
  longestMs: 0,
  byFigure: {},
};

function timed(key: string, t0: number): void {
  const ms = performance.now() - t0;
  drawStats.longestMs = Math.max(drawStats.longestMs, ms);
  drawStats.byFigure[key] = Math.max(drawStats.byFigure[key] ?? 0, ms);
}

/** The monitors redrawn one per tick while training (the curves are redrawn every tick). */
const ROTATING = ['ratio', 'grad', 'units', 'histograms'];
let turn = 0;
/** What each element shows now (the figure's JSON), so an unchanged figure is not redrawn. */
const shown = new WeakMap<HTMLElement, string>();

/** Starts loading @nerve/plot (the page calls it on mount, before any figure is due). */
export function preloadPlot(): void {
  plot ??= import('@nerve/plot');
}

/**
 * Draws the figures into their elements (by the same key); clears those
 * with none. While training (`all` false) the curves are redrawn every call
 * and the other monitors one per call in turn, so each call costs the page
 * about three figures; `all` redraws every figure that changed. Yields to
 * the page between figures, so no single task draws more than one.
 */
export async function drawFigures(
  els: Record<string, HTMLElement | null>,
  s: PlaygroundSnapshot,
  all = true,
): Promise<void> {
  plot ??= import('@nerve/plot');
  const { figureToSvg } = await plot;
  const figs = figures(s);
  const due = all
    ? Object.keys(els)
    : ['loss', 'accuracy', ROTATING[turn++ % ROTATING.length] as string];
  for (const k of due) {
    const el = els[k];
    if (!el) continue;
    const f = figs[k] ?? null;
    const json = f ? JSON.stringify(f) : '';
    if (shown.get(el) === json) continue;
    shown.set(el, json);
    const width = k === 'histograms' ? Math.max(900, 200 * s.layers.length) : 540;
    const t0 = performance.now();
    el.innerHTML = f ? figureToSvg(f, { width }) : '';
    timed(k, t0);
    await new Promise((r) => setTimeout(r, 0));
  }
}

/**
 * Draws the decision boundary (one cell per grid point, the predicted
 * class's colour, paler where the network is less sure) and the points
 * (training filled, validation ringed) on a canvas.
 */
export function drawBoundary(
  canvas: HTMLCanvasElement,
  s: PlaygroundSnapshot,
  points: PlanePoints,
  extent: [number, number],
): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const t0 = performance.now();
  try {
    paintBoundary(ctx, canvas, s, points, extent);
  } finally {
    timed('boundary', t0);
  }
}

function paintBoundary(
  ctx: CanvasRenderingContext2D,
  canvas: HTMLCanvasElement,
  s: PlaygroundSnapshot,
  points: PlanePoints,
  extent: [number, number],
): void {
  const w = canvas.width;
  const h = canvas.height;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  const b = s.boundary;
  if (b) {
    const img = ctx.createImageData(b.size, b.size);
    for (let k = 0; k < b.size * b.size; k++) {
      const [r, g, bl] = CLASS_COLOURS[(b.cls[k] as number) % CLASS_COLOURS.length] as [
        number,
        number,
        number,
      ];
      // Tint from white: 25% of the colour where unsure, 55% where certain.
      const a = 0.25 + 0.3 * (b.prob[k] as number);
      img.data[4 * k] = Math.round(255 + (r - 255) * a);
      img.data[4 * k + 1] = Math.round(255 + (g - 255) * a);
      img.data[4 * k + 2] = Math.round(255 + (bl - 255) * a);
      img.data[4 * k + 3] = 255;
    }
    // Draw the small grid, then scale it up without smoothing.
    const tmp = document.createElement('canvas');
    tmp.width = b.size;
    tmp.height = b.size;
    tmp.getContext('2d')?.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(tmp, 0, 0, w, h);
  }
  const [lo, hi] = extent;
  const px = (v: number) => ((v - lo) / (hi - lo)) * w;
  const py = (v: number) => ((hi - v) / (hi - lo)) * h;
  const dot = (x: number, y: number, c: number, val: boolean) => {
    const [r, g, bl] = CLASS_COLOURS[c % CLASS_COLOURS.length] as [number, number, number];
    ctx.beginPath();
    ctx.arc(px(x), py(y), 3.5, 0, 2 * Math.PI);
    ctx.fillStyle = val ? '#fff' : `rgb(${r},${g},${bl})`;
    ctx.strokeStyle = val ? `rgb(${r},${g},${bl})` : '#fff';
    ctx.lineWidth = val ? 2 : 1;
    ctx.fill();
    ctx.stroke();
  };
  for (const [i, x] of points.x.entries()) {
    dot(x, points.y[i] as number, points.label[i] as number, false);
  }
  for (const [i, x] of points.valX.entries()) {
    dot(x, points.valY[i] as number, points.valLabel[i] as number, true);
  }
}
