/**
 * Parameter names that are also Object.prototype's names ('__proto__',
 * 'constructor', 'toString') are ordinary names: in a search space read
 * from JSON, in sampled and grid configurations, in reports, in the
 * coarse-to-fine stages and in the study file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Reporter,
  coarseToFine,
  randomSearch,
  readStudyFile,
  runStudy,
  space,
} from '../src/index.js';
import { TrialRun } from '../src/trial.js';

const NAMES = ['__proto__', 'constructor', 'toString'];
const dir = mkdtempSync(join(tmpdir(), 'nerve-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A space as a JSON file would give it: JSON.parse makes '__proto__' an own key. */
const fromJson = () =>
  space(
    JSON.parse(
      '{"__proto__": {"kind": "uniform", "low": 0, "high": 1},' +
        ' "constructor": {"kind": "choice", "values": ["a", "b"]},' +
        ' "toString": {"kind": "uniform", "low": 1, "high": 2}}',
    ),
  );

const own = (o: object) => Object.keys(o).sort();

async function objective(config: Record<string, unknown>, reporter: Reporter): Promise<void> {
  const x = Object.hasOwn(config, '__proto__') ? (config.__proto__ as unknown as number) : 10;
  await reporter.report(1, { valLoss: (x - 0.3) ** 2 + Number(config.toString) });
}

describe('prototype names as parameter names', () => {
  it('are drawn into every sampled configuration without touching its prototype', () => {
    const sp = fromJson();
    for (let id = 0; id < 20; id++) {
      const c = sp.sample(0, id) as Record<string, unknown>;
      expect(own(c)).toEqual([...NAMES].sort());
      expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
      const proto = Object.getOwnPropertyDescriptor(c, '__proto__')?.value as number;
      expect(proto).toBeGreaterThanOrEqual(0);
      expect(proto).toBeLessThan(1);
    }
  });

  it('span the whole grid (2 × 2 × 2 distinct points, not 4 twice)', () => {
    const grid = fromJson().grid(2);
    expect(grid).toHaveLength(8);
    expect(new Set(grid.map((c) => JSON.stringify(c))).size).toBe(8);
    for (const c of grid) expect(own(c)).toEqual([...NAMES].sort());
  });

  it('appear in the ranges report, whose prototype stays intact', () => {
    const r = fromJson().ranges();
    expect(own(r)).toEqual([...NAMES].sort());
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(r, '__proto__')?.value).toEqual({
      low: 0,
      high: 1,
      log: false,
    });
  });

  it('survive the study file and a resume, and the coarse-to-fine narrowing', async () => {
    const file = join(dir, 'keys.jsonl');
    const opts = { space: fromJson(), objective, seed: 3, metric: 'valLoss', mode: 'min' } as const;
    const first = await runStudy({ ...opts, searcher: randomSearch({ trials: 4 }), storage: file });
    for (const t of readStudyFile(file).trials) expect(own(t.config)).toEqual([...NAMES].sort());
    const again = await runStudy({ ...opts, searcher: randomSearch({ trials: 4 }), storage: file });
    expect(again.resumed).toBe(4);
    expect(again.trials.map((t) => JSON.stringify(t.config))).toEqual(
      first.trials.map((t) => JSON.stringify(t.config)),
    );
    const c2f = await runStudy({ ...opts, searcher: coarseToFine({ stages: [6, 4], topK: 2 }) });
    expect(c2f.stages).toHaveLength(2);
    expect(own(c2f.stages[1].ranges)).toEqual([...NAMES].sort());
    for (const t of c2f.trials) expect(own(t.config)).toEqual([...NAMES].sort());
  });
});

describe('prototype names as metric names', () => {
  it("a study's metric named 'toString' must be reported, and '__proto__' is a metric like any other", async () => {
    const decided: number[] = [];
    const decide = async (_e: number, v: number) => {
      decided.push(v);
      return { stop: false };
    };
    await expect(
      new TrialRun(0, 'toString', decide as never).report(1, { valLoss: 1 }),
    ).rejects.toThrow(/the study's metric 'toString' among the metrics/);
    const run = new TrialRun(1, '__proto__', decide as never);
    await run.report(1, JSON.parse('{"__proto__": 0.25}'));
    expect(decided).toEqual([0.25]);
    expect(Object.getOwnPropertyDescriptor(run.history[0].metrics, '__proto__')?.value).toBe(0.25);
  });
});
