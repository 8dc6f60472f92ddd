/**
 * The home demo's live curves, drawn with @nerve/plot in the page's own
 * document (its browser entry: no linkedom). The plot library is imported
 * on first use, so it is not part of the page's initial JavaScript.
 */
import type { Figure } from '@nerve/plot';

export interface CurvePoint {
  x: number;
  y: number;
}
export interface EpochRow {
  epoch: number;
  trainLoss: number;
  testLoss: number;
  trainAcc: number;
  testAcc: number;
}

let plot: Promise<typeof import('@nerve/plot')> | undefined;

/**
 * Starts loading the plot library (the page calls it when idle after
 * mounting), so that compiling it does not hold the page's thread while the
 * demo trains and the visitor draws.
 */
export function preloadPlot(): void {
  plot ??= import('@nerve/plot');
}

/** Redraws both figures into their containers (replacing what was there). */
export async function drawCurves(
  lossEl: HTMLElement | null,
  accEl: HTMLElement | null,
  steps: CurvePoint[],
  epochs: EpochRow[],
): Promise<void> {
  plot ??= import('@nerve/plot');
  const { figureToSvg } = await plot;
  const loss: Figure = {
    kind: 'line',
    id: 'digits-loss',
    title: 'Training loss per step',
    x: { label: 'step' },
    y: { label: 'cross-entropy', log: true },
    series: [{ name: 'batch loss', x: steps.map((p) => p.x), y: steps.map((p) => p.y) }],
  };
  const acc: Figure = {
    kind: 'line',
    id: 'digits-accuracy',
    title: 'Accuracy per epoch',
    x: { label: 'epoch', integer: true },
    y: { label: 'accuracy', domain: [0, 1] },
    series: [
      { name: 'train', x: epochs.map((r) => r.epoch), y: epochs.map((r) => r.trainAcc) },
      { name: 'test', x: epochs.map((r) => r.epoch), y: epochs.map((r) => r.testAcc) },
    ],
  };
  // The containers are role="img" with a text alternative (DigitsDemo.vue);
  // the SVGs are hidden from assistive technology.
  const hidden = (svg: string) => svg.replace('<svg', '<svg aria-hidden="true"');
  if (lossEl && steps.length > 0) lossEl.innerHTML = hidden(figureToSvg(loss, { width: 440 }));
  if (accEl && epochs.length > 0) accEl.innerHTML = hidden(figureToSvg(acc, { width: 440 }));
}
