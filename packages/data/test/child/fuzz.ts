/**
 * The parser fuzz, run in its own process so its memory is its own:
 * `fuzz.ts <idx|csv> <runs> <seed> <max bomb MiB>`. Each case writes a mutated file, loads
 * it, and fails on any error other than a NerveError, or when its peak RSS
 * passes 2 × the file's size + 64 MiB over the RSS just before it. On Linux
 * the kernel's peak (VmHWM) is reset before every case (/proc/self/clear_refs,
 * value 5), so each case's own peak is measured; elsewhere the lifetime
 * `maxRSS` is compared with the RSS before the first case, which can only
 * overstate a case's peak. Prints one JSON line.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NerveError, memory } from '@nerve/core';
import fc from 'fast-check';
import { type CsvOptions, loadCsv, loadIdx } from '../../src/index.js';
import {
  csvEdit,
  csvOptions,
  editCsv,
  mutate,
  mutation,
  validCsv,
  validIdx,
  wrap,
  wrapper,
} from './fuzz-inputs.js';

const [kind, runsArg, seedArg, bombArg] = process.argv.slice(2);
const maxBombMiB = Number(bombArg ?? 16);
if (kind === 'csv') await import('@nerve/backend-cpu');
const MiB = 2 ** 20;
// tmpfs where there is one: each case rewrites the file, and on a disk
// file system the truncating open dominates the run time.
const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'nerve-fuzz-'));
const file = join(dir, 'case');

/** Resets the kernel's peak-RSS mark to the current RSS; false where unsupported. */
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}
const perCase = resetPeak();

function statusBytes(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync('/proc/self/status', 'utf8'),
  );
  return Number(m?.[1]) * 1024;
}
const rssNow = () => (perCase ? statusBytes('VmRSS') : process.memoryUsage().rss);
const peakRss = () => (perCase ? statusBytes('VmHWM') : process.resourceUsage().maxRSS * 1024);

let accepted = 0;
let refused = 0;
let largestInput = 0;
let worstGrowth = 0;
let baseline = 0;
let highWater = 0;

/** Loads the file; anything but success or a NerveError fails the property. */
function runCase(bytes: Uint8Array, load: () => void): void {
  writeFileSync(file, bytes);
  largestInput = Math.max(largestInput, bytes.length);
  if (perCase) {
    resetPeak();
    baseline = rssNow();
    highWater = 0;
  }
  try {
    load();
    accepted++;
  } catch (e) {
    if (!(e instanceof NerveError)) {
      throw new Error(`not a NerveError: ${(e as Error)?.name}: ${(e as Error)?.message}`);
    }
    refused++;
  }
  const peak = peakRss();
  if (peak > highWater) {
    highWater = peak;
    worstGrowth = Math.max(worstGrowth, peak - baseline);
    const allowed = 2 * bytes.length + 64 * MiB;
    if (peak - baseline > allowed) {
      throw new Error(
        `peak RSS grew ${((peak - baseline) / MiB).toFixed(1)} MiB on a ${bytes.length}-byte input (allowed ${(allowed / MiB).toFixed(1)} MiB)`,
      );
    }
  }
}

function loadCsvCase(opts: CsvOptions): void {
  const r = loadCsv(file, opts);
  r.x.dispose();
  r.y.dispose();
}

const idxProperty = fc.property(
  validIdx,
  fc.array(mutation, { maxLength: 4 }),
  wrapper(maxBombMiB),
  (valid, ms, w) => runCase(wrap(mutate(valid, ms), w), () => loadIdx(file)),
);

const csvProperty = fc.property(
  validCsv,
  fc.array(csvEdit, { maxLength: 4 }),
  fc.array(mutation, { maxLength: 2 }),
  wrapper(maxBombMiB),
  csvOptions,
  (valid, edits, ms, w, opts) => {
    const bytes = mutate(new TextEncoder().encode(editCsv(valid.text, edits)), ms);
    runCase(wrap(bytes, w), () => loadCsvCase({ ...opts, header: opts.header ?? valid.header }));
  },
);

// Warm up the code paths once so their one-time allocations are in the baseline.
const tensorsBefore = memory().numTensors;
writeFileSync(file, '1,2,0\n');
if (kind === 'csv') loadCsvCase({});
baseline = rssNow();
highWater = peakRss();
const started = performance.now();
const params = { numRuns: Number(runsArg), seed: Number(seedArg) };
const result = kind === 'csv' ? fc.check(csvProperty, params) : fc.check(idxProperty, params);
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({
    kind,
    runs: result.numRuns,
    failed: result.failed,
    counterexample: result.failed ? fc.stringify(result.counterexample) : null,
    error: result.failed ? String((result.errorInstance as Error)?.message ?? '') : null,
    accepted,
    refused,
    largestInput,
    worstGrowthMiB: worstGrowth / MiB,
    perCasePeaks: perCase,
    seconds: (performance.now() - started) / 1000,
    tensorsLeaked: memory().numTensors - tensorsBefore,
  })}\n`,
);
