/**
 * `nerve train`: builds the data, the model and the optimizer from flags,
 * trains with a live progress display and the babysitting monitors, prints
 * the diagnosis and the test accuracy, and optionally saves a checkpoint.
 */
import { availableParallelism } from 'node:os';
import { setThreads } from '@nerve/backend-cpu';
import { type Tensor, getBackendName, manualSeed, ready, setBackend, toBackend } from '@nerve/core';
import { DataLoader, TensorDataset } from '@nerve/data';
import { type Module, crossEntropy, mseLoss } from '@nerve/layers';
import { ActivationMonitor, type EpochRecord, UpdateRatioMonitor, diagnose } from '@nerve/metrics';
import { type Optimizer, createOptimizer } from '@nerve/optim';
import type { Report } from '@nerve/plot';
import {
  ProgressBar,
  evaluate,
  fit,
  formatEpoch,
  metricsLogger,
  saveCheckpoint,
} from '@nerve/train';
import type { TrainArgs } from './args.js';
import { type PreparedData, checkpointDescription, loadData, trainLoader } from './datasets.js';
import {
  type InterruptWatch,
  Interrupted,
  periodicYield,
  watchInterrupt,
  yieldToEventLoop,
} from './interrupt.js';
import { buildModel, describeModel, specFor } from './models.js';
import type { TrainResult } from './train-result.js';
import { checkWritable } from './out-path.js';
import { ActivationSnapshots } from './reports/activation-snapshots.js';
import { trainReport } from './reports/train-report.js';
import { cliVersion } from './version.js';

export type { TrainResult } from './train-result.js';

/** Where `runTrain` reports. */
export interface TrainOutput {
  /** Progress lines (stderr under --json). */
  log: (line: string) => void;
  /** Warnings: always stderr. */
  warn: (line: string) => void;
  /** The progress bar's stream. */
  progress: { write(s: string): unknown; isTTY?: boolean };
  /** Called after each epoch (the --json event stream). */
  onEpoch?: (record: EpochRecord, epochs: number) => void;
  /** With --report: the report's data, before it is rendered and written. */
  onReport?: (report: Report) => void;
}

/**
 * Trains as the flags say. Everything that can be checked before training
 * is (the --out folder, the thread count); Ctrl-C stops after the current
 * batch and throws Interrupted without writing --out.
 */
export async function runTrain(args: TrainArgs, output: TrainOutput): Promise<TrainResult> {
  const started = performance.now();
  if (args.out) checkWritable('out', args.out);
  if (args.log) checkWritable('log', args.log);
  if (args.report) checkWritable('report', args.report);
  if (args.threads !== undefined) setThreads(cappedThreads(args.threads, output.warn));
  const previousBackend = getBackendName();
  const interrupt = watchInterrupt(() =>
    output.warn('nerve: stopping after the current batch (Ctrl-C again to quit at once)'),
  );
  try {
    return await trainOn(args, output, started, interrupt);
  } finally {
    interrupt.dispose();
    setBackend(previousBackend);
  }
}

/** More threads than cores only cost memory (a stack and buffers each): warn and cap. */
export function cappedThreads(requested: number, warn: (line: string) => void): number {
  const cores = availableParallelism();
  if (requested <= cores) return requested;
  warn(
    `nerve: --threads ${requested} is more than the ${cores} cores here; using ${cores} (extra threads add memory, not speed)`,
  );
  return cores;
}

/**
 * Data are loaded and standardized on the CPU (host-side work), then moved to
 * the training backend; the model is built there, from the same seeded
 * generator, so a webgpu run starts from the same weights as a cpu run.
 */
async function trainOn(
  args: TrainArgs,
  output: TrainOutput,
  started: number,
  interrupt: InterruptWatch,
): Promise<TrainResult> {
  const owned: Owned = {};
  try {
    return await trainWith(args, output, started, interrupt, owned);
  } finally {
    // The result holds numbers only: everything the run made is freed, on success and on error.
    owned.optimizer?.disposeState();
    owned.model?.dispose();
    if (owned.data) disposeData(owned.data);
  }
}

/** What a training run allocates (filled in as it goes), for `trainOn` to free. */
interface Owned {
  data?: PreparedData;
  model?: Module;
  optimizer?: Optimizer;
}

/** Frees the tensors of the three splits (a split may share none with another). */
function disposeData(data: PreparedData): void {
  data.train.dispose();
  data.val.dispose();
  data.test.dispose();
}

async function trainWith(
  args: TrainArgs,
  output: TrainOutput,
  started: number,
  interrupt: InterruptWatch,
  owned: Owned,
): Promise<TrainResult> {
  const { log, progress } = output;
  const letSignalsIn = periodicYield();
  manualSeed(args.seed);
  owned.data = loadData(args, args.model, {
    limit: args.limit,
    trainExamples: args.trainExamples,
  });
  let data = owned.data;
  const regression = args.table?.task === 'regression';
  const lossFn = regression
    ? (out: Tensor, y: Tensor) => mseLoss(out, y)
    : (out: Tensor, y: Tensor) => crossEntropy(out, y);
  if (args.backend !== 'cpu') {
    await loadBackend(args.backend);
    data = await moveData(owned, args.backend);
    setBackend(args.backend);
  }
  const spec = specFor(args, data, args.seed);
  const model = buildModel(spec);
  owned.model = model;
  const optimizer = createOptimizer(args.optimizer, model.parameters(), {
    lr: args.lr,
    ...(args.weightDecay === undefined ? {} : { weightDecay: args.weightDecay }),
  });
  owned.optimizer = optimizer;
  log(
    `nerve train: ${describeModel(spec)} on ${data.name} on ${getBackendName()} (${data.train.length} train / ${data.val.length} val / ${data.test.length} test), ${model.numParameters()} parameters, ${args.optimizer} lr ${args.lr}${args.weightDecay ? ` weight decay ${args.weightDecay}` : ''}, batch ${args.batchSize}, ${args.epochs} epochs, seed ${args.seed}`,
  );
  const train = trainLoader(data.train, {
    batchSize: args.batchSize,
    seed: args.seed,
    augment: args.images?.augment,
  });
  const val = new DataLoader(data.val, { batchSize: 512 });
  const activations = new ActivationMonitor();
  const monitors = [new UpdateRatioMonitor({ every: 10 }), activations];
  const snapshots = args.report ? new ActivationSnapshots(activations, args.epochs) : undefined;
  const ctxHolder: { stopReason?: string } = {};
  const history = await fit(model, {
    train,
    val,
    epochs: args.epochs,
    optimizer,
    loss: lossFn,
    accuracy: !regression,
    monitors,
    callbacks: [
      new ProgressBar({ stream: progress }),
      ...(args.log ? [metricsLogger({ path: args.log })] : []),
      ...(snapshots ? [snapshots] : []),
      {
        onBatchEnd: async (_batch, _loss, ctx) => {
          await letSignalsIn();
          if (interrupt.requested) ctx.stop = true;
        },
        onEpochEnd: (record) => output.onEpoch?.(record, args.epochs),
        onTrainEnd: (ctx) => void (ctxHolder.stopReason = ctx.stopReason),
      },
    ],
  });
  const stopIfInterrupted = (when: string) => {
    if (!interrupt.requested) return;
    throw new Interrupted(
      `interrupted ${when}; ${args.out ? `nothing written to ${args.out}` : 'nothing saved'}`,
    );
  };
  stopIfInterrupted(`in epoch ${Math.max(history.length, 1)} of ${args.epochs}`);
  const test = await evaluate(model, new DataLoader(data.test, { batchSize: 512 }), {
    loss: lossFn,
    accuracy: !regression,
  });
  // Once the save has begun it finishes (one atomic write): Ctrl-C is only honoured before it.
  await yieldToEventLoop();
  stopIfInterrupted('after training, before saving');
  const diagnosis = diagnose(history, regression ? {} : { classes: data.classes });
  let checkpoint: string | undefined;
  if (args.out) {
    await saveCheckpoint(args.out, model, {
      optimizer,
      // The training state records where training stopped, so a resume knows its epoch.
      epoch: history.length,
      step: history.length * train.numBatches,
      // The examples the standardization was fitted on, so nerve eval prepares the test split alike.
      metadata: {
        nerve: checkpointDescription(spec, data, args.dataset, {
          ...(args.limit === undefined ? {} : { limit: args.limit }),
          ...(args.trainExamples === undefined ? {} : { trainExamples: args.trainExamples }),
        }),
      },
    });
    checkpoint = args.out;
  }
  const result: TrainResult = {
    dataset: data.name,
    backend: args.backend,
    model: spec,
    optimizer: args.optimizer,
    lr: args.lr,
    weightDecay: optimizer.paramGroups[0]?.weightDecay ?? 0,
    batchSize: args.batchSize,
    epochs: history.length,
    testAccuracy: regression ? Number.NaN : test.accuracy,
    testLoss: test.loss,
    ...(regression && data.table?.target
      ? { testRmse: Math.sqrt(test.loss) * data.table.target.scale }
      : {}),
    ...(data.table?.encoding.classes ? { classNames: data.table.encoding.classes } : {}),
    ...(data.images ? { classNames: data.images.classes } : {}),
    seconds: (performance.now() - started) / 1000,
    parameters: model.numParameters(),
    history,
    diagnosis,
    stopReason: ctxHolder.stopReason,
    checkpoint,
  };
  if (args.report && snapshots) {
    const report = trainReport(result, snapshots.snapshots());
    output.onReport?.(report);
    const { writeReport } = await import('./reports/write-report.js');
    writeReport('report', args.report, report, `nerve ${cliVersion()}`);
    result.report = args.report;
  }
  return result;
}

/** Registers a backend package that is not imported by default and waits until it is up. */
async function loadBackend(name: TrainArgs['backend']): Promise<void> {
  if (name === 'webgpu') {
    try {
      await import('@nerve/backend-webgpu');
    } catch (e) {
      throw new Error(
        `--backend webgpu: @nerve/backend-webgpu could not be loaded (${(e as Error).message})`,
      );
    }
  }
  // Says why when the backend cannot start (no adapter) and names the alternatives.
  await ready(name);
}

/**
 * Moves the data to `backend`, split by split; `owned.data` always holds what
 * is alive (the moved splits and those not moved yet), so an error midway
 * leaves nothing that `trainOn` does not free.
 */
async function moveData(owned: Owned, backend: string): Promise<PreparedData> {
  const move = async (ds: TensorDataset) => {
    const moved: Tensor[] = [];
    try {
      for (const t of ds.tensors) moved.push(await toBackend(t, backend));
    } catch (e) {
      for (const t of moved) t.dispose();
      throw e;
    }
    ds.dispose();
    return new TensorDataset(...moved);
  };
  for (const split of ['train', 'val', 'test'] as const) {
    const data = owned.data as PreparedData;
    owned.data = { ...data, [split]: await move(data[split]) };
  }
  return owned.data as PreparedData;
}

/** The human-readable end of a run. */
export function formatResult(r: TrainResult): string {
  const lines: string[] = [];
  if (r.stopReason) lines.push(`stopped early: ${r.stopReason}`);
  if (r.diagnosis.every((d) => d.severity === 'info'))
    lines.push(
      'diagnosis: nothing unusual (loss fell, no large train/val gap, updates at a healthy scale)',
    );
  for (const d of r.diagnosis) lines.push(`diagnosis [${d.severity}] ${d.code}: ${d.message}`);
  const score =
    r.testRmse !== undefined
      ? `test RMSE ${r.testRmse.toPrecision(4)}  test loss ${r.testLoss.toFixed(4)} (MSE of z-scores)`
      : `test accuracy ${(r.testAccuracy * 100).toFixed(2)}%  test loss ${r.testLoss.toFixed(4)}`;
  lines.push(`${score}  (${r.epochs} epochs, ${r.seconds.toFixed(1)} s)`);
  if (r.checkpoint) lines.push(`saved ${r.checkpoint}`);
  if (r.report) lines.push(`report ${r.report}`);
  return lines.join('\n');
}

export { formatEpoch };
