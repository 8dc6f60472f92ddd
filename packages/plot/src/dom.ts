/**
 * Where figureToSvg gets a DOM to build SVG in. Observable Plot draws into a
 * `Document`: a browser has one (`globalThis.document`); Node has none, so
 * the Node entry of @nerve/plot (index.ts) registers linkedom's here once, at
 * import. The browser entry never imports linkedom, which keeps it and every
 * Node built-in out of browser bundles.
 */
import { NerveError } from '@nerve/core';

let factory: (() => Document) | undefined;

/** Registers the function that makes a document where none is passed and the global has none. */
export function setDocumentFactory(make: () => Document): void {
  factory = make;
}

/** The document to draw in: the given one, the global one, or one from the registered factory. */
export function resolveDocument(given?: Document): Document {
  if (given !== undefined) return given;
  const global = (globalThis as { document?: Document }).document;
  if (global !== undefined) return global;
  if (factory !== undefined) return factory();
  throw new NerveError(
    'figureToSvg',
    'a document (pass opts.document, run in a browser, or import @nerve/plot in Node)',
    'no document',
  );
}
