import { describe, expect, it } from 'vitest';
import { type EpochRecord, diagnose } from '../src/index.js';

/** A deterministic wiggle in [−1, 1] for minibatch noise. */
const noise = (i: number): number => Math.sin(i * 12.9898) * 0.5 + Math.sin(i * 78.233) * 0.5;

/** A healthy run: loss falls, accuracies rise together, monitors in range. */
function healthy(epochs = 10): EpochRecord[] {
  return Array.from({ length: epochs }, (_, e) => {
    const loss = 2.3 * 0.8 ** e;
    return {
      epoch: e,
      trainLoss: loss,
      valLoss: loss * 1.05,
      trainAccuracy: 0.5 + (0.45 * e) / (epochs - 1),
      valAccuracy: 0.48 + (0.44 * e) / (epochs - 1),
      lr: 0.1,
      stepLosses: Array.from({ length: 20 }, (_, s) => loss * (1 + 0.05 * noise(e * 20 + s))),
      monitors: {
        'updateRatio/median': 1e-3 * (1 + 0.3 * noise(e)),
        'updateRatio/max': 3e-3,
        'activation/layer/1/dead': 0.1,
        'activation/layer/3/saturated': 0.05,
        'activation/deadMax': 0.1,
        'gradNorm/total': 1.2,
        'loss/nonFinite': 0,
      },
    };
  });
}

const codes = (h: EpochRecord[], opts = {}): string[] => diagnose(h, opts).map((f) => f.code);

describe('diagnose', () => {
  it('finds nothing in a healthy history, or an empty one', () => {
    expect(diagnose(healthy())).toEqual([]);
    expect(diagnose([])).toEqual([]);
    expect(diagnose(healthy(1))).toEqual([]);
  });

  it('loss-nan: a NaN or Infinity loss anywhere is an error', () => {
    const h = healthy(4);
    h[2].stepLosses![7] = Number.NaN;
    const f = diagnose(h);
    expect(f.map((x) => x.code)).toEqual(['loss-nan']);
    expect(f[0].severity).toBe('error');
    expect(f[0].message).toMatch(/epoch 2, step 7/);
    expect(f[0].message).toMatch(/learning rate/);
    const inf = healthy(3);
    inf[1].trainLoss = Number.POSITIVE_INFINITY;
    inf[1].stepLosses = undefined;
    expect(codes(inf)).toEqual(['loss-nan']);
    const byMonitor = healthy(3);
    byMonitor[2].monitors!['loss/nonFinite'] = 1;
    expect(codes(byMonitor)).toEqual(['loss-nan']);
  });

  it('loss-exploding: epoch loss above 3× its minimum, or step losses growing', () => {
    const h = healthy(4).map((r) => ({ ...r, stepLosses: undefined }));
    h[3].trainLoss = 3.5 * h[2].trainLoss;
    h[3].valLoss = h[3].trainLoss;
    const f = diagnose(h);
    expect(f.map((x) => x.code)).toContain('loss-exploding');
    expect(f.find((x) => x.code === 'loss-exploding')!.severity).toBe('error');
    expect(f.find((x) => x.code === 'loss-exploding')!.message).toMatch(/Lower the learning rate/);
    // 2.9× is not yet exploding.
    h[3].trainLoss = 2.9 * h[2].trainLoss;
    expect(codes(h)).not.toContain('loss-exploding');
    // One epoch whose step losses grow 5% per step.
    const steps = Array.from({ length: 100 }, (_, i) => 1.05 ** i);
    const one: EpochRecord[] = [
      { epoch: 0, trainLoss: steps.reduce((a, b) => a + b) / 100, stepLosses: steps },
    ];
    expect(codes(one)).toEqual(['loss-exploding']);
  });

  it('loss-exploding: a step loss spike far above the first, even if it falls back', () => {
    const h = healthy(3);
    h[0].stepLosses![5] = 40 * h[0].stepLosses![0];
    expect(codes(h)).toContain('loss-exploding');
    h[0].stepLosses![5] = 20 * h[0].stepLosses![0];
    expect(codes(h)).not.toContain('loss-exploding');
  });

  it('update-ratio-low with a zero ratio says the gradients vanished', () => {
    const h = healthy(3).map((r) => ({
      ...r,
      monitors: { ...r.monitors, 'updateRatio/median': 0 },
    }));
    const f = diagnose(h).find((x) => x.code === 'update-ratio-low');
    expect(f?.message).toMatch(/No parameter changed/);
    expect(f?.message).not.toMatch(/Infinity/);
  });

  it('loss-flat: less than 1% improvement over the first epochs', () => {
    const h = healthy(6).map((r, e) => ({
      ...r,
      trainLoss: 2.31 - 0.001 * e,
      stepLosses: undefined,
    }));
    const f = diagnose(h);
    expect(f.map((x) => x.code)).toContain('loss-flat');
    expect(f.find((x) => x.code === 'loss-flat')!.message).toMatch(
      /learning rate is probably too low/,
    );
    // 2% over the first three epochs is progress.
    const ok = h.map((r, e) => ({ ...r, trainLoss: 2.3 * (1 - 0.01 * e) }));
    expect(codes(ok)).not.toContain('loss-flat');
    // One epoch of noisy but trendless step losses.
    const steps = Array.from({ length: 100 }, (_, i) => 2.3 + 0.01 * noise(i));
    expect(codes([{ epoch: 0, trainLoss: 2.3, stepLosses: steps }])).toEqual(['loss-flat']);
  });

  it('overfitting: an accuracy gap above 0.1, or val loss rising while train loss falls', () => {
    const gap = healthy(5);
    gap[4].trainAccuracy = 0.99;
    gap[4].valAccuracy = 0.8;
    const f = diagnose(gap);
    expect(f.map((x) => x.code)).toEqual(['overfitting']);
    expect(f[0].message).toMatch(/gap 0\.190/);
    expect(f[0].message).toMatch(/regularization/);
    const h: EpochRecord[] = [1.0, 0.8, 0.7, 0.75, 0.9].map((v, e) => ({
      epoch: e,
      trainLoss: [1.0, 0.7, 0.5, 0.3, 0.2][e],
      valLoss: v,
    }));
    const g = diagnose(h);
    expect(g.map((x) => x.code)).toEqual(['overfitting']);
    expect(g[0].message).toMatch(/best val loss at epoch 2/);
    // A 7% rise stays under the 10% threshold.
    h[4].valLoss = 0.75;
    expect(codes(h)).toEqual([]);
  });

  it('underfitting: low train accuracy with no gap', () => {
    const h: EpochRecord[] = [1.5, 1.3, 1.2, 1.15, 1.12].map((l, e) => ({
      epoch: e,
      trainLoss: l,
      valLoss: l,
      trainAccuracy: 0.4 + 0.01 * e,
      valAccuracy: 0.39 + 0.01 * e,
    }));
    const f = diagnose(h);
    expect(f.map((x) => x.code)).toEqual(['underfitting']);
    expect(f[0].message).toMatch(/Raise capacity/);
    expect(codes(h, { lowAccuracy: 0.4 })).toEqual([]);
    expect(codes(h.slice(0, 2))).toEqual([]); // too early to judge
  });

  it('update-ratio-high and update-ratio-low from updateRatio/median', () => {
    const high = healthy().map((r) => ({
      ...r,
      monitors: { ...r.monitors, 'updateRatio/median': 0.05 },
    }));
    const f = diagnose(high);
    expect(f.map((x) => x.code)).toEqual(['update-ratio-high']);
    expect(f[0].message).toMatch(/Lower the learning rate \(about 50×/);
    const low = healthy().map((r) => ({ ...r, monitors: { 'fit.updateRatio/median': 1e-5 } }));
    const g = diagnose(low);
    expect(g.map((x) => x.code)).toEqual(['update-ratio-low']);
    expect(g[0].message).toMatch(/Raise the learning rate/);
  });

  it('dead-relu and saturation name the layers above 50%', () => {
    const h = healthy(3);
    h[2].monitors = {
      'activation/layer/features.1/dead': 0.8,
      'activation/layer/3/dead': 0.2,
      'activation/layer/5/saturated': 0.9,
    };
    const f = diagnose(h);
    expect(f.map((x) => x.code)).toEqual(['dead-relu', 'saturation']);
    expect(f[0].message).toMatch(/80% in layer 'features\.1'/);
    expect(f[0].message).not.toMatch(/layer '3'/);
    expect(f[1].message).toMatch(/90% in layer '5'/);
    expect(f.every((x) => x.severity === 'warning')).toBe(true);
    expect(codes(h, { deadFraction: 0.9, saturationFraction: 0.95 })).toEqual([]);
  });
});
