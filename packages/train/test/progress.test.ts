/**
 * The progress display with a fake clock: steps/s and the ETA come from the
 * time the clock says has passed, on the bar (TTY) and on the epoch line.
 */
import { describe, expect, it } from 'vitest';
import type { TrainContext } from '../src/callbacks.js';
import { ProgressBar, formatDuration, rate } from '../src/progress.js';

function setup(isTTY: boolean) {
  let t = 0;
  const written: string[] = [];
  const bar = new ProgressBar({
    stream: { write: (s: string) => written.push(s), isTTY },
    now: () => t,
  });
  const ctx = { epochs: 3, numBatches: 10, history: [], stop: false } as unknown as TrainContext;
  return { bar, ctx, written, advance: (ms: number) => void (t += ms) };
}

const record = (epoch: number) => ({ epoch, trainLoss: 0.5 });

describe('ProgressBar', () => {
  it('shows steps/s and the rest of the epoch as ETA on a terminal', () => {
    const { bar, ctx, written, advance } = setup(true);
    bar.onTrainBegin();
    bar.onEpochBegin();
    // 4 of 10 batches in 2 s: 2 steps/s, 6 batches left at 0.5 s each = 3 s.
    advance(2000);
    bar.onBatchEnd(4, 0.25, ctx);
    const line = written.at(-1) as string;
    expect(line).toContain('4/10');
    expect(line).toContain('2.00 steps/s');
    expect(line).toContain('ETA 0:03');
  });

  it('puts speed and the ETA of the remaining epochs on the epoch line, also off a terminal', () => {
    const { bar, ctx, written, advance } = setup(false);
    bar.onTrainBegin();
    bar.onEpochBegin();
    for (let b = 1; b <= 10; b++) {
      advance(500);
      bar.onBatchEnd(b, 0.3, ctx);
    }
    // No bar off a terminal: nothing written until the epoch ends.
    expect(written).toHaveLength(0);
    bar.onEpochEnd(record(1), ctx);
    // 10 batches in 5 s; two epochs left at 5 s each.
    expect(written[0]).toMatch(
      /^epoch 1\/3 +train loss 0\.5000 +\(5\.0 s, 2\.00 steps\/s, ETA 0:10\)\n$/,
    );
  });

  it('leaves the ETA out on the last epoch', () => {
    const { bar, ctx, written, advance } = setup(false);
    bar.onTrainBegin();
    bar.onEpochBegin();
    advance(1000);
    bar.onBatchEnd(10, 0.3, ctx);
    bar.onEpochEnd(record(3), ctx);
    expect(written[0]).not.toContain('ETA');
    expect(written[0]).toContain('10.0 steps/s');
  });

  it.each([
    [0, '0:00'],
    [59.4, '0:59'],
    [61, '1:01'],
    [3723, '1:02:03'],
    [Number.NaN, '?'],
  ])('formats %s s as %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
});

describe('rate', () => {
  it('reads as a plain number at every scale', () => {
    expect(rate(2, 1)).toBe('2.00 steps/s');
    expect(rate(123.4, 1)).toBe('123 steps/s');
    expect(rate(1234, 1)).toBe('1234 steps/s');
    expect(rate(12, 0)).toBe('? steps/s');
  });
});
