/**
 * The diagnosis `nerve train` prints, on the runs of issue 10 where it
 * contradicted itself: a rate far too high must give loss advice only.
 */
import '@nerve/backend-cpu';
import { describe, expect, it } from 'vitest';
import { parseTrainArgs } from '../src/args.js';
import { formatResult, runTrain } from '../src/train-command.js';

const silent = { log: () => {}, warn: () => {}, progress: { write: () => true, isTTY: false } };

describe('nerve train diagnosis', () => {
  it.each([
    ['--optimizer', 'momentum', '--lr', '10'],
    ['--optimizer', 'sgd', '--lr', '3'],
  ])('%s %s %s %s: the loss blew up, and nothing else is advised', async (...flags) => {
    const r = await runTrain(parseTrainArgs([...flags, '--epochs', '5']), silent);
    const codes = r.diagnosis.map((d) => d.code);
    expect(codes.some((c) => c === 'loss-exploding' || c === 'loss-nan')).toBe(true);
    for (const c of ['overfitting', 'underfitting', 'loss-flat', 'update-ratio-low'])
      expect(codes).not.toContain(c);
    expect(formatResult(r)).not.toMatch(/raise the learning rate|raise capacity/i);
    // The first sanity check: the loss before any update is about ln 10.
    const init = r.diagnosis.find((d) => d.code === 'initial-loss');
    expect(init?.severity).toBe('info');
    expect(init?.message).toMatch(/ln 10 = 2\.303/);
  });
});
