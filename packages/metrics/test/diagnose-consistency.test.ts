/**
 * diagnose's findings never contradict each other, and the initial-loss
 * check against ln C. Histories are written by hand here in the shapes real
 * runs produced (issue 10); test/diagnose-real-runs.test.ts trains them.
 */
import { describe, expect, it } from 'vitest';
import { type EpochRecord, type Finding, OVERRULES, diagnose } from '../src/index.js';

const codes = (f: Finding[]): string[] => f.map((x) => x.code);

/** Step losses around `mean`, starting with `first` (the loss before any update). */
function steps(first: number, mean: number, n = 40): number[] {
  return Array.from({ length: n }, (_, i) => (i === 0 ? first : mean * (1 + 0.02 * Math.sin(i))));
}

/** SGD at lr 3 on the digits (issue 10): epoch 1 averages 6.5, then chance. */
function lr3(): EpochRecord[] {
  return [6.5, 2.4, 2.31, 2.305, 2.301].map((loss, e) => ({
    epoch: e + 1,
    trainLoss: loss,
    valLoss: 2.31,
    trainAccuracy: 0.11,
    valAccuracy: 0.1,
    stepLosses: e === 0 ? [2.3, 40, 12, ...steps(6, 6).slice(3)] : steps(loss, loss),
    monitors: { 'updateRatio/median': 2e-6 },
  }));
}

describe('diagnose: no contradictions', () => {
  it('an epoch averaging far above the first step loss is exploding, with no capacity advice', () => {
    const f = diagnose(lr3());
    expect(codes(f)).toContain('loss-exploding');
    expect(f.find((x) => x.code === 'loss-exploding')!.message).toMatch(
      /epoch 1 is 6\.500, ×2\.826 the loss at the first step/,
    );
    // Before: underfitting ("raise capacity") and "raise the learning rate".
    expect(codes(f)).not.toContain('underfitting');
    expect(codes(f)).not.toContain('update-ratio-low');
    expect(f.some((x) => x.learningRate === 'raise')).toBe(false);
    // 1.4× the first step is within riseFactor 1.5.
    const mild = lr3();
    mild[0].trainLoss = 1.4 * 2.3;
    mild[0].stepLosses = steps(2.3, 1.4 * 2.3);
    expect(codes(diagnose(mild))).not.toContain('loss-exploding');
  });

  it('after a blow-up: no overfitting, underfitting, flat-loss or raise-the-rate advice', () => {
    // Momentum at lr 10 (issue 10): the loss exploded, the weights grew so
    // large that the update ratio is tiny, val accuracy sits at chance.
    const h: EpochRecord[] = [2.3, 1e6, 3e3, 40, 9].map((loss, e) => ({
      epoch: e + 1,
      trainLoss: loss,
      valLoss: [2.0, 1e5, 50, 30, 60][e],
      trainAccuracy: [0.4, 0.3, 0.35, 0.45, 0.5][e],
      valAccuracy: 0.1,
      monitors: { 'updateRatio/median': 4.4e-6 },
    }));
    const f = diagnose(h);
    expect(codes(f)).toEqual(['loss-exploding']);
  });

  it('overfitting is not flagged at chance train accuracy when classes are known', () => {
    const h: EpochRecord[] = [1.0, 0.8, 0.7, 0.75, 0.9].map((v, e) => ({
      epoch: e,
      trainLoss: [2.4, 2.35, 2.33, 2.32, 2.31][e],
      valLoss: 1 + 2 * v,
      trainAccuracy: 0.15,
      valAccuracy: 0.1,
    }));
    expect(codes(diagnose(h))).toContain('overfitting');
    expect(codes(diagnose(h, { classes: 10 }))).not.toContain('overfitting');
  });

  it('a val-loss rise with a train loss that bounced back is not overfitting', () => {
    // Adam at lr 0.1 on the digits: train 1.29 0.62 1.04 0.70 0.76.
    const h: EpochRecord[] = [1.29, 0.62, 1.04, 0.7, 0.76].map((loss, e) => ({
      epoch: e + 1,
      trainLoss: loss,
      valLoss: [1.9, 2.5, 3.9, 3.6, 4.65][e],
    }));
    expect(codes(diagnose(h))).not.toContain('overfitting');
    h[4].trainLoss = 0.6; // still falling: now it is
    expect(codes(diagnose(h))).toContain('overfitting');
  });

  it('a low loss with one noisy last tenth is not exploding', () => {
    // Fell from 4.7 to 0.05; the last tenth of the steps averages 0.2.
    const s = Array.from({ length: 60 }, (_, i) => 4.7 * 0.9 ** i + 0.05);
    for (let i = 54; i < 60; i++) s[i] = i === 57 ? 1.0 : 0.05;
    const h: EpochRecord[] = [{ epoch: 1, trainLoss: 0.6, stepLosses: s }];
    expect(codes(diagnose(h))).not.toContain('loss-exploding');
    // Giving back more than half of the fall is.
    for (let i = 54; i < 60; i++) s[i] = 3;
    expect(codes(diagnose(h))).toContain('loss-exploding');
  });

  it('dead or saturated units and too-large updates overrule a flat loss and underfitting', () => {
    const h: EpochRecord[] = [2.304, 2.3035, 2.301, 2.3].map((loss, e) => ({
      epoch: e + 1,
      trainLoss: loss,
      valLoss: loss,
      trainAccuracy: 0.11,
      valAccuracy: 0.1,
      monitors: { 'updateRatio/median': 1e-3, 'activation/layer/1/dead': 0.75 },
    }));
    expect(codes(diagnose(h))).toEqual(['dead-relu']);
    for (const r of h) r.monitors = { 'updateRatio/median': 0.05 };
    expect(codes(diagnose(h))).toEqual(['update-ratio-high']);
    for (const r of h) r.monitors = { 'updateRatio/median': 1e-3 };
    expect(codes(diagnose(h))).toEqual(['loss-flat']);
  });

  it('too-large updates leave underfitting standing when the loss falls', () => {
    // A small model with Adam: the loss falls, accuracy plateaus low, the
    // ratio is Adam-high. Lowering the rate alone would not fix it.
    const h: EpochRecord[] = [1.0, 0.9, 0.85, 0.83].map((loss, e) => ({
      epoch: e + 1,
      trainLoss: loss,
      valLoss: loss,
      trainAccuracy: 0.6,
      valAccuracy: 0.58,
      monitors: { 'updateRatio/median': 0.02 },
    }));
    expect(codes(diagnose(h, { classes: 3 }))).toEqual(['underfitting', 'update-ratio-high']);
  });

  it('OVERRULES only names codes diagnose emits', () => {
    const known = [
      'loss-nan',
      'loss-exploding',
      'loss-flat',
      'overfitting',
      'underfitting',
      'update-ratio-high',
      'update-ratio-low',
      'dead-relu',
      'saturation',
    ];
    for (const [a, bs] of Object.entries(OVERRULES)) {
      expect(known).toContain(a);
      for (const b of bs) expect(known).toContain(b);
    }
  });
});

describe('diagnose: initial loss against ln C', () => {
  const run = (first: number): EpochRecord[] => [
    { epoch: 1, trainLoss: 1.5, stepLosses: steps(first, 1.5) },
    { epoch: 2, trainLoss: 1.0, stepLosses: steps(1.0, 1.0) },
  ];

  it('reports the first step loss and ln C, and flags it outside [0.5, 2]·ln C', () => {
    const ok = diagnose(run(2.28), { classes: 10 }).find((f) => f.code === 'initial-loss');
    expect(ok?.severity).toBe('info');
    expect(ok?.details).toEqual({
      initialLoss: 2.28,
      expected: Math.log(10),
      ratio: 2.28 / Math.log(10),
    });
    expect(ok?.message).toMatch(/2\.280.*ln 10 = 2\.303/);
    const high = diagnose(run(4.8), { classes: 10 }).find((f) => f.code === 'initial-loss');
    expect(high?.severity).toBe('warning');
    expect(high?.message).toMatch(/too high.*last layer/);
    const low = diagnose(run(0.3), { classes: 3 }).find((f) => f.code === 'initial-loss');
    expect(low?.severity).toBe('warning');
    expect(low?.message).toMatch(/too low.*leak/);
    // The band is an option.
    const wide = diagnose(run(4.8), { classes: 10, initialLossHigh: 2.5 });
    expect(wide.find((f) => f.code === 'initial-loss')?.severity).toBe('info');
  });

  it('says nothing without classes, step losses or a finite first loss', () => {
    expect(codes(diagnose(run(2.3)))).not.toContain('initial-loss');
    const noSteps = run(2.3).map((r) => ({ ...r, stepLosses: undefined }));
    expect(codes(diagnose(noSteps, { classes: 10 }))).not.toContain('initial-loss');
    expect(codes(diagnose(run(Number.NaN), { classes: 10 }))).toEqual(['loss-nan']);
    // Resumed at epoch 5: its first step is not the loss at init.
    const resumed = run(0.3).map((r) => ({ ...r, epoch: r.epoch + 4 }));
    expect(codes(diagnose(resumed, { classes: 10 }))).not.toContain('initial-loss');
  });
});
