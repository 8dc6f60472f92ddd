/**
 * @nerve/plot: figures as data (figure.ts), drawn as SVG with Observable
 * Plot in Node and in browsers, as small text plots for terminals, and
 * gathered into self-contained HTML reports.
 *
 * This is the Node entry: the browser entry (browser.ts) plus a DOM from
 * linkedom for Observable Plot to draw in, registered once at import. A
 * bundler targeting browsers picks browser.ts (the `browser` condition), so
 * linkedom never reaches a browser bundle.
 *
 * @module @nerve/plot
 */
import { parseHTML } from 'linkedom';
import { setDocumentFactory } from './dom.js';

setDocumentFactory(
  () =>
    parseHTML('<!DOCTYPE html><html><head></head><body></body></html>')
      .document as unknown as Document,
);

export * from './browser.js';
