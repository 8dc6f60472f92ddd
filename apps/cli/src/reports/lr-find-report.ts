/**
 * What `nerve lr-find --report` shows, as data: the loss (raw and smoothed)
 * against the learning rate on a log axis, the suggestion marked, and the
 * command that trains with it.
 */
import type { Finding, LineFigure, Report } from '@nerve/plot';
import { type LrFindResult, formatNumber } from '@nerve/tune';

/** A sweep's result with the `nerve train` command that trains with its suggestion. */
export type LrFindReportInput = LrFindResult & { command: string };

/**
 * The loss axis reaches 1.5 × the starting loss: the curve's shape (flat,
 * falling, the minimum) is below it, and the divergence above it would
 * squash that shape into a line at the bottom.
 */
const SHOWN_FACTOR = 1.5;

/** The report of one `nerve lr-find` sweep. */
export function lrFindReport(r: LrFindReportInput): Report {
  const finite = [...r.losses, ...r.smoothed].filter((v) => Number.isFinite(v));
  const lo = finite.length > 0 ? Math.min(...finite) : 0;
  const top = finite.length > 0 ? Math.max(...finite) : 1;
  const start = r.smoothed.find((v) => Number.isFinite(v)) ?? top;
  const hi = Math.min(top, SHOWN_FACTOR * start);
  // Losses past the top are drawn at it, so the line leaves the plot where the sweep diverges.
  const line = (name: string, ys: number[]) => {
    const x: number[] = [];
    const y: number[] = [];
    for (const [i, v] of ys.entries()) {
      if (Number.isNaN(v)) continue;
      x.push(r.lrs[i]);
      y.push(Math.min(v, hi));
    }
    return { name, x, y };
  };
  const suggestion = `suggestion ${formatNumber(r.suggestion)}`;
  const figure: LineFigure = {
    kind: 'line',
    id: 'lr-find',
    title: `Loss against learning rate (${r.optimizer})`,
    caption: `One step per learning rate, rising exponentially from ${formatNumber(r.lrs[0])} to ${formatNumber(r.lrs[r.lrs.length - 1])} (Smith 2017). The smoothed curve is a bias-corrected moving average; the vertical line marks the suggestion, the smaller of the steepest descent (${formatNumber(r.steepest)}) and the minimum's rate / 10 (${formatNumber(r.minOver10)}). Losses above ${formatNumber(hi)} are drawn at the top.`,
    x: { label: 'learning rate', log: true },
    y: { label: 'loss', domain: [lo, hi] },
    series: [
      line('loss', r.losses),
      line('smoothed', r.smoothed),
      { name: suggestion, x: [r.suggestion, r.suggestion], y: [lo, hi] },
    ],
  };
  // The smoothed loss at the last rate not above the suggestion.
  let k = 0;
  while (k + 1 < r.lrs.length && r.lrs[k + 1] <= r.suggestion) k++;
  const atSuggestion = r.smoothed[k];
  const inside = r.suggestion >= r.lrs[0] && r.suggestion <= r.lrs[r.lrs.length - 1];
  const findings: Finding[] = [
    {
      statement: 'The suggested learning rate lies inside the swept range',
      measured: `${formatNumber(r.suggestion)} in [${formatNumber(r.lrs[0])}, ${formatNumber(r.lrs[r.lrs.length - 1])}]`,
      held: inside,
    },
    {
      statement:
        'At the suggested rate the loss is already falling (the smoothed loss is below where it started)',
      measured: `smoothed loss ${formatNumber(atSuggestion)} at ${formatNumber(r.suggestion)}, ${formatNumber(start)} at the start`,
      held: atSuggestion < start,
    },
  ];
  return {
    title: 'nerve lr-find',
    subtitle: `suggested learning rate for ${r.optimizer}: ${formatNumber(r.suggestion)}`,
    sections: [
      {
        heading: 'The range test',
        text: [
          `The suggestion holds for ${r.optimizer} at this batch size only. Train with it: ${r.command}`,
        ],
        findings,
        figures: [figure],
        tables: [
          {
            columns: ['suggestion', 'steepest descent', 'minimum / 10', 'steps', 'diverged'],
            rows: [
              [
                formatNumber(r.suggestion),
                formatNumber(r.steepest),
                formatNumber(r.minOver10),
                r.lrs.length,
                r.diverged ? 'yes' : 'no',
              ],
            ],
          },
        ],
      },
    ],
  };
}
