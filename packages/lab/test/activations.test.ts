import '@nerve/backend-cpu';
import { memory } from '@nerve/core';
import type { BarFigure, LineFigure, Table } from '@nerve/plot';
import { describe, expect, it } from 'vitest';
import { activations } from '../src/experiments/activations.js';
import { nodeLabData } from '../src/node.js';
import { getExperiment } from '../src/registry.js';
import { runExperiment } from '../src/run.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('lab activations', () => {
  it('measures saturation, one-signed gradients, the zig-zag and Maxout’s parameters; no tensor left', async () => {
    const before = memory().numTensors;
    const r = await runExperiment(activations, { data: nodeLabData, quick: true });
    expect(memory().numTensors).toBe(before);
    expect(getExperiment('activations')).toBe(activations);
    for (const f of r.findings) expect(f.held, `${f.statement}: ${f.measured}`).toBe(true);
    expect(r.findings).toHaveLength(5);
    expect(r.figures.map((f) => f.id)).toEqual([
      'functions',
      'derivatives',
      'saturation',
      'same-sign',
      'zigzag',
    ]);

    // f′ by autograd against the formulas: σ′ = σ(1 − σ), max 1/4 at 0;
    // tanh′ = 1 − tanh². Float32 evaluation: 1e-6 absolute.
    const fs = r.figures[0] as LineFigure;
    const ds = r.figures[1] as LineFigure;
    expect(fs.series).toHaveLength(9);
    const sig = ds.series.find((s) => s.name === 'sigmoid');
    const tanh = ds.series.find((s) => s.name === 'tanh');
    expect(sig?.x).toHaveLength(201);
    sig?.x.forEach((x, i) => {
      expect(Math.abs((sig.y[i] as number) - sigmoid(x) * (1 - sigmoid(x)))).toBeLessThan(1e-6);
    });
    tanh?.x.forEach((x, i) => {
      expect(Math.abs((tanh.y[i] as number) - (1 - Math.tanh(x) ** 2))).toBeLessThan(1e-6);
    });
    expect(Math.max(...(sig?.y as number[]))).toBeCloseTo(0.25, 6);
    // Every f′ curve is the slope of its f curve: central differences on the
    // grid (h = 0.05) differ by h²/6·max|f‴| ≤ 0.0025/6·1.76 (SELU) ≈ 7e-4;
    // points next to the kinks at 0 (ReLU, LeakyReLU, SELU, ELU's f″) are skipped.
    for (const [k, f] of fs.series.entries()) {
      const d = ds.series[k];
      expect(d?.name).toBe(f.name);
      for (let i = 1; i < f.x.length - 1; i++) {
        if (Math.abs(f.x[i] as number) < 0.06) continue;
        const slope = ((f.y[i + 1] as number) - (f.y[i - 1] as number)) / 0.1;
        expect(Math.abs(slope - (d?.y[i] as number)), `${f.name} at ${f.x[i]}`).toBeLessThan(2e-3);
      }
    }

    // Saturation: per-layer shrink factor of the gradient, from the table.
    const norms = r.tables[1] as Table;
    const col = (name: string) =>
      norms.rows.map((row) => row[norms.columns.indexOf(name)] as number);
    const factor = (v: number[]) => ((v[0] as number) / (v[4] as number)) ** (1 / 4);
    // σ′ ≤ 1/4 per layer with unit-gain weights: well below 1/2; tanh and ReLU
    // at their Xavier and He init pass the gradient on within [1/2, 2].
    expect(factor(col('sigmoid'))).toBeLessThan(0.5);
    expect(factor(col('tanh'))).toBeGreaterThan(0.5);
    expect(factor(col('ReLU'))).toBeGreaterThan(0.5);
    const bar = r.figures[2] as BarFigure;
    expect(bar.y.log).toBe(true);
    expect(bar.categories).toEqual(['sigmoid', 'tanh', 'ReLU']);
    expect(bar.series.map((s) => s.values.length)).toEqual([3, 3]);

    // One-signed gradient rows: exactly all behind sigmoid (δ_i·h_j, h_j > 0);
    // behind 64 tanh inputs the chance is 2·2⁻⁶⁴ per row, so none of 500.
    expect((r.figures[3] as BarFigure).series[0]?.values).toEqual([1, 0]);

    // The zig-zag: every step of the positive-input path is one-signed, and
    // its progress per path length is at most 1/√2.
    const toy = r.tables[2] as Table;
    expect(toy.rows[0]?.[1]).toBe(1);
    expect(toy.rows[0]?.[2]).toBeLessThanOrEqual(Math.SQRT1_2);
    expect(toy.rows[1]?.[1]).toBeLessThan(1);
    const path = r.figures[4] as LineFigure;
    for (const s of path.series) {
      expect(s.x).toHaveLength(61);
      expect(s.x[0]).toBe(0);
      // Both runs reach w* = (1, −1) (the toy has an exact solution).
      expect(Math.hypot((s.x[60] as number) - 1, (s.y[60] as number) + 1)).toBeLessThan(0.05);
    }
    for (let i = 1; i < 61; i++) {
      const s = path.series[0] as { x: number[]; y: number[] };
      const d1 = (s.x[i] as number) - (s.x[i - 1] as number);
      const d2 = (s.y[i] as number) - (s.y[i - 1] as number);
      expect(d1 * d2).toBeGreaterThanOrEqual(0);
    }

    // Maxout k = 2: 2·(64·100 + 100) against 64·100 + 100.
    expect((r.tables[3] as Table).rows).toEqual([
      ['Linear + ReLU', 6500],
      ['Maxout, k = 2', 13000],
    ]);
  }, 60_000);

  it('is deterministic per seed and leaves nothing behind when aborted', async () => {
    const params = { examples: 5, batch: 64 };
    const a = await runExperiment(activations, { data: nodeLabData, params });
    const b = await runExperiment(activations, { data: nodeLabData, params });
    expect(a.tables).toEqual(b.tables);
    const before = memory().numTensors;
    const ctl = new AbortController();
    await expect(
      runExperiment(activations, {
        data: nodeLabData,
        params,
        signal: ctl.signal,
        onProgress: () => ctl.abort(),
      }),
    ).rejects.toThrow(/abort/i);
    expect(memory().numTensors).toBe(before);
  }, 60_000);
});
