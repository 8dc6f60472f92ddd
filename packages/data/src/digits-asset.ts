/**
 * Where loadDigits gets its bytes: the gzipped CSV in assets/, one level above
 * src/digits.ts and dist/digits.js. The CLI's bundle swaps this one module for
 * a copy with the bytes embedded (apps/cli/scripts/bundle.mjs), so the bundle
 * needs no assets/ folder beside it.
 */
import { fileURLToPath } from 'node:url';
import { readMaybeGzip } from './files.js';

/** The digits CSV text's bytes (gunzipped) and a name for them in error messages. */
export function digitsAsset(op: string): { source: string; bytes: Uint8Array } {
  const source = fileURLToPath(new URL('../assets/digits.csv.gz', import.meta.url));
  return { source, bytes: readMaybeGzip(op, source) };
}
