/**
 * Everything @nerve/plot offers, for browsers: SVG is drawn in the page's
 * own `document`. The Node entry (index.ts) is this plus a linkedom DOM.
 */
export * from './figure.js';
export { formatLogTick, formatNumber } from './format.js';
export { setDocumentFactory } from './dom.js';
export { figureToSvg, type SvgOptions } from './svg.js';
export { textPlot, type TextPlotOptions } from './text.js';
export { formatCell, formatTable } from './table.js';
export { escapeHtml, htmlReport, type HtmlReportOptions } from './html.js';
