/**
 * Progress display: a live bar in a terminal, plain lines otherwise (logs, CI,
 * pipes), so output stays readable wherever it goes.
 */
import type { EpochRecord } from '@nerve/metrics';
import type { Callback, TrainContext } from './callbacks.js';

/** Where progress goes: a stream with write(), and whether it is a terminal. */
export interface ProgressStream {
  /** Writes text (no newline added). */
  write(s: string): unknown;
  /** Whether the stream is a terminal: the bar is drawn per batch only then. */
  isTTY?: boolean;
}

/** Options of `ProgressBar`. */
export interface ProgressBarOptions {
  /** Where the bar goes (default process.stderr). */
  stream?: ProgressStream;
  /** Width of the bar in characters (default 30). */
  width?: number;
  /** The clock in milliseconds (default performance.now; tests pass a fake one). */
  now?: () => number;
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

/** A duration as m:ss or h:mm:ss (rounded to the second), as Keras and tqdm print an ETA. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Steps per second with three significant digits (whole numbers from 1000 on, never 1.23e+3). */
export function rate(steps: number, seconds: number): string {
  if (!(seconds > 0)) return '? steps/s';
  const r = steps / seconds;
  return `${r >= 1000 ? Math.round(r) : r.toPrecision(3)} steps/s`;
}

/**
 * Prints a bar per batch on a TTY and one line per epoch everywhere, with
 * the speed (steps/s) and an ETA: the rest of the epoch on the bar (from
 * this epoch's pace), the rest of the run on the epoch line (from the mean
 * epoch time so far).
 */
export class ProgressBar implements Callback {
  private readonly stream: ProgressStream;
  private readonly width: number;
  private readonly now: () => number;
  private started = 0;
  private trainStarted = 0;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private batches = 0;

  constructor(opts: ProgressBarOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.width = opts.width ?? 30;
    this.now = opts.now ?? (() => performance.now());
  }

  onTrainBegin(): void {
    this.trainStarted = this.now();
  }

  onEpochBegin(): void {
    this.started = this.now();
    this.batches = 0;
  }

  onBatchEnd(batch: number, loss: number, ctx: TrainContext): void {
    this.batches = batch;
    if (!this.stream.isTTY) return;
    const now = this.now();
    // Redrawing costs a write per batch; 20 frames a second are plenty.
    if (now - this.lastDraw < 50 && batch < ctx.numBatches) return;
    this.lastDraw = now;
    const frac = Math.min(batch / Math.max(ctx.numBatches, 1), 1);
    const filled = Math.round(frac * this.width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(this.width - filled)}`;
    const epoch = ctx.history.length + 1;
    const seconds = (now - this.started) / 1000;
    const eta = batch > 0 ? (seconds / batch) * (ctx.numBatches - batch) : Number.NaN;
    this.stream.write(
      `\r\x1b[2Kepoch ${epoch}/${ctx.epochs} ${bar} ${batch}/${ctx.numBatches}  loss ${loss.toFixed(4)}  ${rate(batch, seconds)}  ETA ${formatDuration(eta)}`,
    );
  }

  onEpochEnd(record: EpochRecord, ctx: TrainContext): void {
    const now = this.now();
    const seconds = (now - this.started) / 1000;
    const clear = this.stream.isTTY ? '\r\x1b[2K' : '';
    const parts = [`${seconds.toFixed(1)} s`, rate(this.batches, seconds)];
    const left = ctx.epochs - record.epoch;
    if (left > 0 && record.epoch > 0) {
      const perEpoch = (now - this.trainStarted) / 1000 / record.epoch;
      parts.push(`ETA ${formatDuration(perEpoch * left)}`);
    }
    this.stream.write(`${clear}${formatEpoch(record, ctx.epochs)}  (${parts.join(', ')})\n`);
  }
}
