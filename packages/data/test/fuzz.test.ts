/**
 * Property-based fuzz of the IDX and CSV loaders (fast-check): mutated
 * valid files (bit flips, truncation, header dimensions set to huge values,
 * inserted and deleted bytes, CSV with odd quoting, huge numbers,
 * hexadecimal, NaN and blank lines), plain or wrapped in gzip, mutated
 * gzip, multi-member gzip or small gzip bombs. No case may throw anything
 * but a NerveError, or raise the peak RSS by more than 2 × its size + 64 MiB
 * (measured per case in a child process; see child/fuzz.ts).
 *
 * Quick by default (10,000 cases of each, ~17 s here); NERVE_FUZZ_FULL=1 runs 20,000 cases of each with bombs
 * up to 16 MiB and a new seed each time. NERVE_FUZZ_SEED sets the seed (it is
 * in the test's name, so a failing case can be replayed).
 */
import { describe, expect, it } from 'vitest';
import { runChild } from './child.js';

const full = process.env.NERVE_FUZZ_FULL === '1';
// A fixed seed by default, so CI is reproducible; full runs explore new ones.
const seed = Number(
  process.env.NERVE_FUZZ_SEED ?? (full ? Math.floor(Math.random() * 2 ** 31) : 20261206),
);
const plan = {
  idx: { runs: full ? 20_000 : 10_000, bombMiB: full ? 16 : 8 },
  csv: { runs: full ? 20_000 : 10_000, bombMiB: full ? 16 : 2 },
};

interface FuzzReport {
  runs: number;
  failed: boolean;
  counterexample: string | null;
  error: string | null;
  accepted: number;
  refused: number;
  worstGrowthMiB: number;
  tensorsLeaked: number;
}

describe.each(['idx', 'csv'] as const)('fuzz of the %s loader', (kind) => {
  it(
    `finds only NerveErrors and bounded memory (seed ${seed})`,
    () => {
      const { runs, bombMiB } = plan[kind];
      const r = runChild<FuzzReport>(
        'fuzz.ts',
        [kind, String(runs), String(seed), String(bombMiB)],
        {
          timeoutMs: full ? 1_800_000 : 300_000,
        },
      );
      expect(r.error, `${r.error}\ncounterexample: ${r.counterexample}`).toBeNull();
      expect(r.failed).toBe(false);
      expect(r.runs).toBe(runs);
      // Both outcomes occur, so the fuzz reaches the success path as well.
      expect(r.accepted).toBeGreaterThan(0);
      expect(r.refused).toBeGreaterThan(0);
      expect(r.tensorsLeaked).toBe(0);
    },
    full ? 1_900_000 : 320_000,
  );
});
