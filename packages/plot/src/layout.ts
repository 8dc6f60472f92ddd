/**
 * The frame around Observable Plot's panels: one standalone <svg> with a
 * white background, the figure's title, a legend row, a grid of panels
 * (each panel one Plot chart, nested as an <svg> at its place) and notes
 * underneath. Plot draws every mark, axis and scale; this file only places
 * its charts and writes the words around them.
 */
import * as Plot from '@observablehq/plot';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The font stack of every figure: the system's UI font, no web font to fetch. */
export const FONT =
  "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

/** One chart of a figure. */
export interface Panel {
  /** Written above the panel (small multiples). */
  title?: string;
  /** Observable Plot's options (or a function of the panel's width); width, height and document are filled in. */
  options: Plot.PlotOptions | ((width: number) => Plot.PlotOptions);
  /** The panel's height for a given width. */
  height: (width: number) => number;
}

/** A legend entry: a series' colour with its name. */
export interface LegendEntry {
  label: string;
  color: string;
  shape: 'line' | 'dot' | 'box';
}

/** Everything compose lays out. */
export interface Composition {
  title: string;
  legend: LegendEntry[];
  panels: Panel[];
  /** Panels per row. */
  columns: number;
  /** Short remarks under the panels (e.g. values dropped from a log axis). */
  notes: string[];
}

const PAD = 10;
const GAP_X = 14;
const GAP_Y = 10;
const PANEL_TITLE = 16;
const LEGEND_ROW = 18;
const NOTE_ROW = 14;
/** Average advance of an 11px system-ui character, for wrapping the legend. */
const CHAR_W = 6.2;

function el(doc: Document, name: string, attrs: Record<string, string | number>): Element {
  const e = doc.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function text(doc: Document, s: string, attrs: Record<string, string | number>): Element {
  const t = el(doc, 'text', attrs);
  t.textContent = s;
  return t;
}

const GEOMETRY = [
  'x',
  'y',
  'x1',
  'x2',
  'y1',
  'y2',
  'width',
  'height',
  'cx',
  'cy',
  'r',
  'd',
  'transform',
];
const LONG_DECIMAL = /-?\d*\.\d{3,}(?:e[-+]?\d+)?/g;

/**
 * Rounds Plot's coordinates to 1/100 px: a 28×28 image drawn as cells
 * shrinks by about a third, and nothing visible changes. Only geometry
 * attributes are touched, never text.
 */
function roundGeometry(svg: Element): void {
  for (const e of Array.from(svg.querySelectorAll('*'))) {
    for (const name of GEOMETRY) {
      const v = e.getAttribute(name);
      if (v === null || !v.includes('.')) continue;
      e.setAttribute(
        name,
        v.replace(LONG_DECIMAL, (m) => String(Math.round(Number(m) * 100) / 100)),
      );
    }
  }
}

/** One Plot chart as an <svg> element at (x, y), stripped of Plot's class and stylesheet. */
function renderPanel(
  doc: Document,
  panel: Panel,
  x: number,
  y: number,
  w: number,
  h: number,
): Element {
  const options = typeof panel.options === 'function' ? panel.options(w) : panel.options;
  const out = Plot.plot({ ...options, width: w, height: h, document: doc }) as Element;
  const svg = out.tagName.toLowerCase() === 'svg' ? out : out.querySelector('svg');
  if (svg === null) throw new Error('Observable Plot returned no <svg>');
  // Plot's stylesheet sizes its root with `height: auto`, which would
  // stretch a nested <svg>; the explicit width and height are kept instead.
  svg.removeAttribute('class');
  for (const style of Array.from(svg.querySelectorAll('style'))) style.remove();
  roundGeometry(svg);
  svg.setAttribute('x', String(x));
  svg.setAttribute('y', String(y));
  svg.setAttribute('font-family', FONT);
  return svg;
}

function legendItems(doc: Document, entries: LegendEntry[], width: number, top: number) {
  const items: Element[] = [];
  let x = PAD;
  let y = top;
  for (const e of entries) {
    const w = 22 + e.label.length * CHAR_W + 14;
    if (x > PAD && x + w > width - PAD) {
      x = PAD;
      y += LEGEND_ROW;
    }
    const cy = y + LEGEND_ROW / 2;
    if (e.shape === 'line') {
      items.push(
        el(doc, 'line', { x1: x, x2: x + 16, y1: cy, y2: cy, stroke: e.color, 'stroke-width': 2 }),
      );
    } else if (e.shape === 'dot') {
      items.push(el(doc, 'circle', { cx: x + 8, cy, r: 4, fill: e.color }));
    } else {
      items.push(el(doc, 'rect', { x: x + 2, y: cy - 6, width: 12, height: 12, fill: e.color }));
    }
    items.push(text(doc, e.label, { x: x + 22, y: cy + 4, 'font-size': 11 }));
    x += w;
  }
  return { items, bottom: entries.length === 0 ? top : y + LEGEND_ROW };
}

/** Lays a composition out as one self-contained SVG document string. */
export function compose(doc: Document, c: Composition, width: number): string {
  const root = el(doc, 'svg', {
    xmlns: SVG_NS,
    width,
    'font-family': FONT,
    'font-size': 10,
    fill: '#1a1a1a',
    color: '#1a1a1a',
  });
  const body: Element[] = [];
  let y = PAD;
  if (c.title !== '') {
    body.push(text(doc, c.title, { x: PAD, y: y + 14, 'font-size': 14, 'font-weight': 600 }));
    y += 24;
  }
  const legend = legendItems(doc, c.legend, width, y);
  body.push(...legend.items);
  y = legend.bottom + (c.legend.length > 0 ? 4 : 0);

  // Rows as even as the width allows: 10 panels at 7 a row become 5 + 5, not 7 + 3.
  const most = Math.max(1, Math.min(c.columns, c.panels.length));
  const cols = Math.ceil(c.panels.length / Math.ceil(c.panels.length / most)) || 1;
  const pw = Math.floor((width - 2 * PAD - GAP_X * (cols - 1)) / cols);
  const titled = c.panels.some((p) => p.title !== undefined && p.title !== '');
  for (let r = 0; r * cols < c.panels.length; r++) {
    const row = c.panels.slice(r * cols, r * cols + cols);
    const heights = row.map((p) => Math.round(p.height(pw)));
    const top = y + (titled ? PANEL_TITLE : 0);
    row.forEach((p, i) => {
      const x = PAD + i * (pw + GAP_X);
      if (p.title !== undefined && p.title !== '') {
        body.push(
          text(doc, p.title, {
            x: x + pw / 2,
            y: y + 12,
            'font-size': 11,
            'font-weight': 600,
            'text-anchor': 'middle',
          }),
        );
      }
      body.push(renderPanel(doc, p, x, top, pw, heights[i] ?? 0));
    });
    y = top + Math.max(...heights) + GAP_Y;
  }
  for (const note of c.notes) {
    body.push(text(doc, note, { x: PAD, y: y + 10, 'font-size': 10, fill: '#666' }));
    y += NOTE_ROW;
  }
  const height = Math.ceil(y + PAD / 2);
  root.setAttribute('height', String(height));
  root.setAttribute('viewBox', `0 0 ${width} ${height}`);
  // The title first, for screen readers and as the file's tooltip.
  if (c.title !== '') {
    const title = el(doc, 'title', {});
    title.textContent = c.title;
    root.appendChild(title);
  }
  root.appendChild(el(doc, 'rect', { width: '100%', height: '100%', fill: 'white' }));
  for (const b of body) root.appendChild(b);
  return root.outerHTML;
}
