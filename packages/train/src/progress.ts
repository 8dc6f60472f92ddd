/**
 * Progress display: a live bar in a terminal, plain lines otherwise (logs, CI,
 * pipes), so output stays readable wherever it goes.
 */
import type { EpochRecord } from '@nerve/metrics';
import type { Callback, TrainContext } from './callbacks.js';

/** Where progress goes: a stream with write(), and whether it is a terminal. */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface ProgressBarOptions {
  stream?: ProgressStream;
  /** Width of the bar in characters (default 30). */
  width?: number;
}

const pct = (v: number | undefined) => (v === undefined ? '' : `${(v * 100).toFixed(1)}%`);

/** Formats one epoch's record as a single line. */
export function formatEpoch(r: EpochRecord, epochs: number): string {
  const parts = [`epoch ${String(r.epoch).padStart(String(epochs).length)}/${epochs}`];
  parts.push(`train loss ${r.trainLoss.toFixed(4)}`);
  if (r.trainAccuracy !== undefined) parts.push(`acc ${pct(r.trainAccuracy)}`);
  if (r.valLoss !== undefined) parts.push(`val loss ${r.valLoss.toFixed(4)}`);
  if (r.valAccuracy !== undefined) parts.push(`acc ${pct(r.valAccuracy)}`);
  if (r.lr !== undefined) parts.push(`lr ${r.lr.toPrecision(3)}`);
  return parts.join('  ');
}

/** Prints a bar per batch on a TTY and one line per epoch everywhere. */
export class ProgressBar implements Callback {
  private readonly stream: ProgressStream;
  private readonly width: number;
  private started = 0;
  private lastDraw = 0;

  constructor(opts: ProgressBarOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.width = opts.width ?? 30;
  }

  onEpochBegin(): void {
    this.started = performance.now();
  }

  onBatchEnd(batch: number, loss: number, ctx: TrainContext): void {
    if (!this.stream.isTTY) return;
    const now = performance.now();
    // Redrawing costs a write per batch; 20 frames a second are plenty.
    if (now - this.lastDraw < 50 && batch < ctx.numBatches) return;
    this.lastDraw = now;
    const frac = Math.min(batch / Math.max(ctx.numBatches, 1), 1);
    const filled = Math.round(frac * this.width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(this.width - filled)}`;
    const epoch = ctx.history.length + 1;
    this.stream.write(
      `\r\x1b[2Kepoch ${epoch}/${ctx.epochs} ${bar} ${batch}/${ctx.numBatches}  loss ${loss.toFixed(4)}`,
    );
  }

  onEpochEnd(record: EpochRecord, ctx: TrainContext): void {
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1);
    const clear = this.stream.isTTY ? '\r\x1b[2K' : '';
    this.stream.write(`${clear}${formatEpoch(record, ctx.epochs)}  (${seconds} s)\n`);
  }
}
