/**
 * Property-based fuzz of the safetensors parser (helpers/fuzz-safetensors-child.ts):
 * mutated valid files must parse or fail with a NerveError, leak no tensor,
 * and keep the peak RSS within 2 × the largest input + 64 MB of where the
 * loop started. It runs in a child process so that the peak is its own.
 * 10,000 cases by default; NERVE_FUZZ_FULL=1 runs 100,000.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const FULL = process.env.NERVE_FUZZ_FULL === '1';
const RUNS = FULL ? 100_000 : 10_000;
const root = fileURLToPath(new URL('../../..', import.meta.url));

interface FuzzReport {
  runs: number;
  accepted: number;
  rejected: number;
  unexpected: string[];
  maxInput: number;
  rssStartKB: number;
  peakKB: number;
  leakedTensors: number;
}

function fuzz(runs: number, seed: number): FuzzReport {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const script = fileURLToPath(new URL('./helpers/fuzz-safetensors-child.ts', import.meta.url));
  const out = execFileSync(
    process.execPath,
    ['--import', tsx, '--conditions=@nerve/source', script, String(runs), String(seed)],
    { cwd: root, encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.trim().split('\n').at(-1) as string);
}

describe('safetensors parser fuzz', () => {
  it(`${RUNS} mutated files: only NerveErrors, no leaked tensor, bounded peak RSS`, () => {
    const r = fuzz(RUNS, 20261206);
    expect(r.unexpected).toEqual([]);
    expect(r.accepted + r.rejected).toBe(RUNS);
    // Both outcomes occur, so the mutations reach past the first check.
    expect(r.accepted).toBeGreaterThan(0);
    expect(r.rejected).toBeGreaterThan(0);
    expect(r.leakedTensors).toBe(0);
    const boundKB = r.rssStartKB + (2 * r.maxInput + 64 * 2 ** 20) / 1024;
    expect(r.peakKB).toBeLessThanOrEqual(boundKB);
  }, 120_000);
});
