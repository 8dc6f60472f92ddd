/**
 * Where loadDigits gets its bytes: the gzipped CSV in the package's assets/,
 * one level above src/digits-asset.ts and dist/digits-asset.js, two above the
 * CommonJS build's dist/cjs/digits-asset.js. The CLI's bundle swaps this one
 * module for a copy with the bytes embedded (apps/cli/scripts/bundle.mjs), so
 * the bundle needs no assets/ folder beside it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readMaybeGzip } from './files.js';

const CANDIDATES = ['../assets/digits.csv.gz', '../../assets/digits.csv.gz'];

/** The digits CSV text's bytes (gunzipped) and a name for them in error messages. */
export function digitsAsset(op: string): { source: string; bytes: Uint8Array } {
  const paths = CANDIDATES.map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  // A missing file falls through to the first path, whose read error names it.
  const source = paths.find((p) => existsSync(p)) ?? paths[0];
  return { source, bytes: readMaybeGzip(op, source) };
}
