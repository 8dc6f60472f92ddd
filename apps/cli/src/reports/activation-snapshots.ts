/**
 * The activation histograms a train report shows: the activation monitor's
 * per-layer summaries of the first, the middle and the last epoch, kept by
 * reference as training goes (the monitor computes them anyway).
 */
import type { ActivationMonitor, ActivationSummary, EpochRecord } from '@nerve/metrics';
import type { Callback } from '@nerve/train';

/** The activation monitor's per-layer summaries of one epoch. */
export interface ActivationSnapshot {
  epoch: number;
  layers: Record<string, ActivationSummary>;
}

/** The epochs a report shows histograms of: the first, the middle and the last (distinct). */
export function snapshotEpochs(epochs: number): number[] {
  if (epochs < 1) return [];
  return [...new Set([1, Math.ceil(epochs / 2), epochs])];
}

/**
 * Keeps the activation monitor's summaries of the first, the middle and the
 * latest epoch (the last one when training ends, early or not): references
 * to what the monitor computed anyway, so nothing is measured twice.
 */
export class ActivationSnapshots implements Callback {
  private kept = new Map<number, ActivationSnapshot>();
  private latest: ActivationSnapshot | undefined;

  constructor(
    private readonly monitor: Pick<ActivationMonitor, 'lastEpoch'>,
    private readonly plannedEpochs: number,
  ) {}

  onEpochEnd(record: EpochRecord): void {
    const snap = { epoch: record.epoch, layers: this.monitor.lastEpoch };
    if (Object.keys(snap.layers).length === 0) return;
    const wanted = snapshotEpochs(this.plannedEpochs).slice(0, -1);
    if (wanted.includes(record.epoch)) this.kept.set(record.epoch, snap);
    this.latest = snap;
  }

  /** The kept summaries in epoch order. */
  snapshots(): ActivationSnapshot[] {
    const all = new Map(this.kept);
    if (this.latest) all.set(this.latest.epoch, this.latest);
    return [...all.values()].sort((a, b) => a.epoch - b.epoch);
  }
}
