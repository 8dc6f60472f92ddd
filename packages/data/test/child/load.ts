/**
 * Runs one loader in a fresh process and prints what happened and the peak
 * memory it cost: `load.ts <idx|csv|mnist> <path> [options as JSON]`. The
 * peak is `maxRSS` after the call minus the RSS just before it, an upper
 * bound on what the call itself held (a startup peak can only inflate it).
 */
import { NerveError } from '@nerve/core';
import { loadCsv, loadIdx, loadMnistFormat } from '../../src/index.js';

const [kind, path, json] = process.argv.slice(2);
// Only the loaders that build tensors need a backend; loadIdx starts faster without.
if (kind !== 'idx') await import('@nerve/backend-cpu');
const opts = json === undefined ? {} : JSON.parse(json);
const rssBefore = process.memoryUsage().rss;
let outcome: Record<string, unknown>;
try {
  if (kind === 'idx') {
    const r = loadIdx(path);
    outcome = { ok: true, shape: r.shape };
  } else if (kind === 'csv') {
    const r = loadCsv(path, opts);
    outcome = { ok: true, shape: r.x.shape };
    r.x.dispose();
    r.y.dispose();
  } else {
    const r = loadMnistFormat(path, opts);
    outcome = { ok: true, shape: r.x.shape };
    r.x.dispose();
    r.y.dispose();
  }
} catch (e) {
  outcome = {
    ok: false,
    nerveError: e instanceof NerveError,
    name: (e as Error).name,
    message: (e as Error).message,
  };
}
const peakBytes = process.resourceUsage().maxRSS * 1024 - rssBefore;
process.stdout.write(`${JSON.stringify({ ...outcome, peakBytes })}\n`);
