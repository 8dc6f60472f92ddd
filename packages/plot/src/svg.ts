/** figureToSvg: any Figure as one self-contained SVG document, drawn by Observable Plot. */
import { NerveError, describeValue } from '@nerve/core';
import { resolveDocument } from './dom.js';
import type { Figure } from './figure.js';
import { type Composition, compose } from './layout.js';
import { linePanels, scatterPanels } from './svg-line.js';
import { barPanels, heatmapPanels, histogramPanels } from './svg-panels.js';
import { checkFigure } from './validate.js';

/** Options of figureToSvg. */
export interface SvgOptions {
  /**
   * The DOM to draw in: the browser's `document` when absent, or in Node a
   * linkedom document made by @nerve/plot's Node entry.
   */
  document?: Document;
  /** Width in CSS pixels (default 640); the SVG scales with its viewBox. */
  width?: number;
}

/**
 * Draws a figure as a standalone SVG string: an <svg> root with its own
 * namespace, white background, inline presentation attributes and the
 * system font stack, so it needs nothing else (no external URL, no font
 * download) as a file, in an <img> or inline in HTML.
 */
export function figureToSvg(fig: Figure, opts: SvgOptions = {}): string {
  checkFigure('figureToSvg', fig);
  const width = opts.width ?? 640;
  if (typeof width !== 'number' || !Number.isFinite(width) || width < 200) {
    throw new NerveError('figureToSvg', 'a width of at least 200 pixels', describeValue(width));
  }
  const doc = resolveDocument(opts.document);
  let c: Composition;
  switch (fig.kind) {
    case 'line':
      c = linePanels(fig, width);
      break;
    case 'scatter':
      c = scatterPanels(fig, width);
      break;
    case 'histogram':
      c = histogramPanels(fig, width);
      break;
    case 'bar':
      c = barPanels(fig, width);
      break;
    case 'heatmap':
      c = heatmapPanels(fig, width);
      break;
  }
  return compose(doc, c, Math.round(width));
}
