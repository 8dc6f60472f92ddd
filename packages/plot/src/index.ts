/**
 * @nerve/plot: figures as data (figure.ts), drawn as SVG with Observable
 * Plot in Node and in browsers, as small text plots for terminals, and
 * gathered into self-contained HTML reports.
 */
export * from './figure.js';
