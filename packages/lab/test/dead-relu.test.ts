import '@nerve/backend-cpu';
import { memory } from '@nerve/core';
import type { LineFigure, Table } from '@nerve/plot';
import { describe, expect, it } from 'vitest';
import { deadRelu } from '../src/experiments/dead-relu.js';
import { nodeLabData } from '../src/node.js';
import { getExperiment } from '../src/registry.js';
import { runExperiment } from '../src/run.js';

describe('lab dead-relu', () => {
  it('kills units with a −3 bias and with SGD at lr 2, not in the sane setup; no tensor left', async () => {
    const before = memory().numTensors;
    const r = await runExperiment(deadRelu, { data: nodeLabData, quick: true });
    expect(memory().numTensors).toBe(before);
    expect(getExperiment('dead-relu')).toBe(deadRelu);
    for (const f of r.findings) expect(f.held, `${f.statement}: ${f.measured}`).toBe(true);
    expect(r.findings).toHaveLength(3);

    // Rows: (setup, layer) with the dead fraction at init and after each of 5 epochs.
    const t = r.tables[0] as Table;
    expect(t.columns).toEqual([
      'setup',
      'layer',
      'init',
      'epoch 1',
      'epoch 2',
      'epoch 3',
      'epoch 4',
      'epoch 5',
    ]);
    const row = (i: number) => (t.rows[i] as number[]).slice(2);
    const [biasL1, , highL1, highL2, saneL1, saneL2] = [0, 1, 2, 3, 4, 5].map(row) as number[][];
    // The −3 bias: the issue measured about 26% on a network it does not name;
    // on this one (64–128–64–10) a share of the first layer is dead at init,
    // and a first-layer unit dead on the whole set has an exactly zero
    // gradient, so the fraction can never go down.
    expect(biasL1?.[0]).toBeGreaterThan(0.05);
    for (let e = 1; e < 6; e++) {
      expect(biasL1?.[e]).toBeGreaterThanOrEqual(biasL1?.[e - 1] as number);
    }
    // SGD at lr 2: nothing dead at init (the default bias init is symmetric
    // around 0), most of the second layer dead from the first epochs on,
    // and no recovery: the last epoch keeps ≥ 3/4 of the peak.
    expect(highL1?.[0]).toBe(0);
    expect(highL2?.[0]).toBe(0);
    const peak = Math.max(...(highL2 as number[]));
    expect(peak).toBeGreaterThan(0.5);
    expect(highL2?.[5]).toBeGreaterThanOrEqual(0.75 * peak);
    // The sane setup: under 5% dead in every layer and epoch (the bound).
    for (const v of [...(saneL1 as number[]), ...(saneL2 as number[])])
      expect(v).toBeLessThan(0.05);
    // The sane net learns, the lr-2 net does not (ln 10 = 2.30 is chance).
    const losses = r.tables[1] as Table;
    expect(losses.rows[2]?.[1]).toBeLessThan(0.5);
    expect(losses.rows[1]?.[1]).toBeGreaterThan(1.5);

    const f = r.figures[0] as LineFigure;
    expect(f.id).toBe('dead-fraction');
    expect(f.series).toHaveLength(3);
    for (const s of f.series) {
      expect(s.x).toEqual([0, 1, 2, 3, 4, 5]);
      expect(s.y).toHaveLength(6);
    }
  }, 60_000);

  it('is deterministic per seed and leaves nothing behind when aborted', async () => {
    const params = { epochs: 1 };
    const a = await runExperiment(deadRelu, { data: nodeLabData, params });
    const b = await runExperiment(deadRelu, { data: nodeLabData, params });
    expect(a.tables).toEqual(b.tables);
    const before = memory().numTensors;
    const ctl = new AbortController();
    await expect(
      runExperiment(deadRelu, {
        data: nodeLabData,
        params,
        signal: ctl.signal,
        onProgress: (p) => {
          if (p.fraction > 0) ctl.abort();
        },
      }),
    ).rejects.toThrow(/abort/i);
    expect(memory().numTensors).toBe(before);
  }, 60_000);
});
