/**
 * `nerve predict --checkpoint m.safetensors --csv new.csv [--json]`: the
 * network a `nerve train --csv` run saved, applied to new rows. The rows are
 * prepared exactly as in training, from what the checkpoint keeps: the
 * column encoding (one-hot categories, the fill of missing cells), the
 * inputs' standardization and, for regression, the target's scale. Each row
 * gets its class name and probabilities (or its predicted value); where the
 * file has the label column too, the accuracy (or RMSE) is printed.
 */
import { NerveError, type Tensor, noGrad, softmax, tensor, tidy } from '@nerve/core';
import { type EncodedTable, encodeTable, loadImages, loadTable } from '@nerve/data';
import { type Module, readSafetensorsHeader } from '@nerve/layers';
import { imageMeta, loadedModel, scalerOf, tableMeta } from './checkpoint-meta.js';
import { checkTensors, parseSpec } from './eval-command.js';
import { UsageError, parseCommand } from './flags.js';
import { PREDICT } from './flags-predict.js';
import type { ModelSpec } from './models.js';

const OP = 'nerve predict';

export interface PredictArgs {
  checkpoint: string;
  /** Rows of a table (one of csv and images). */
  csv?: string;
  /** A folder of images. */
  images?: string;
  delimiter?: ',' | ';' | '\t';
  top: number;
  json: boolean;
}

export function parsePredictArgs(argv: string[]): PredictArgs {
  const v = parseCommand(PREDICT, argv);
  const checkpoint = v.checkpoint as string | undefined;
  if (!checkpoint) {
    throw new UsageError(
      '--checkpoint: expected a path to a .safetensors file written by nerve train --csv … --out',
      'predict',
    );
  }
  const csv = v.csv as string | undefined;
  const images = v.images as string | undefined;
  if ((csv === undefined) === (images === undefined)) {
    throw new UsageError(
      `--csv: expected one of --csv FILE or --images DIR (what to predict), received ${csv === undefined ? 'neither' : 'both'}`,
      'predict',
    );
  }
  const d = v.delimiter as string | undefined;
  return {
    checkpoint,
    ...(csv === undefined ? {} : { csv }),
    ...(images === undefined ? {} : { images }),
    ...(d === undefined ? {} : { delimiter: d === 'tab' ? '\t' : (d as ',' | ';') }),
    top: v.top as number,
    json: v.json === true,
  };
}

/** One row's prediction. */
export interface RowPrediction {
  /** The row's line in the CSV file (tables). */
  line?: number;
  /** The image file (images). */
  file?: string;
  /** The predicted class name, or the predicted value (regression). */
  prediction: string | number;
  /** Classification: every class's probability, by name. */
  probabilities?: Record<string, number>;
  /** The row's label, where the file has the label column. */
  label?: string | number;
}

export interface PredictResult {
  checkpoint: string;
  /** The CSV file or image folder predicted. */
  source: string;
  task: 'classification' | 'regression';
  rows: RowPrediction[];
  /** Where the file has the label column: classification accuracy. */
  accuracy?: number;
  /** Where the file has the label column: regression RMSE in the target's units. */
  rmse?: number;
}

export async function runPredict(args: PredictArgs): Promise<PredictResult> {
  // Everything about the checkpoint is checked before the data are read or a tensor built.
  const header = await readSafetensorsHeader(args.checkpoint);
  const nerve = Object.hasOwn(header.metadata, 'nerve') ? header.metadata.nerve : undefined;
  const { spec, dataset } = parseSpec(args.checkpoint, nerve);
  checkTensors(args.checkpoint, spec, header);
  const wants = args.images !== undefined ? 'images' : 'table';
  if (dataset !== wants) {
    const trained =
      dataset === 'table'
        ? 'a table (--csv)'
        : dataset === 'images'
          ? 'images (--images)'
          : `the built-in ${dataset}`;
    throw NerveError.raw(
      OP,
      `checkpoint '${args.checkpoint}' was trained on ${trained}; it cannot predict ${wants === 'images' ? '--images' : '--csv'}${dataset === 'table' || dataset === 'images' ? '' : ' (nerve eval scores the built-in data sets)'}`,
    );
  }
  if (args.images !== undefined) return predictImages(args, args.images, spec, nerve);
  const csv = args.csv as string;
  const meta = tableMeta(args.checkpoint, nerve);
  const { encoding } = meta;
  const raw = loadTable(csv, args.delimiter === undefined ? {} : { delimiter: args.delimiter });
  const hasLabels = raw.columns.includes(encoding.label);
  let rows: EncodedTable;
  try {
    rows = encodeTable(raw, encoding, undefined, { labels: hasLabels });
  } catch (e) {
    if (!hasLabels || !(e instanceof NerveError) || !e.message.includes(`('${encoding.label}')`)) {
      throw e;
    }
    // A label the training data never had: predict anyway, without scoring.
    rows = encodeTable(raw, encoding, undefined, { labels: false });
  }
  const scored = rows.y.length === rows.rows;
  const scaler = scalerOf(meta.standardize);
  const out = await scoreWith(args.checkpoint, spec, (model) => {
    const x = scaler.transform(tensor(rows.x, { shape: [rows.rows, rows.features] }));
    const logits = model.forward(x);
    return encoding.task === 'classification' ? softmax(logits, -1) : logits;
  });
  const predictions: RowPrediction[] = [];
  let correct = 0;
  let squared = 0;
  if (encoding.task === 'classification') {
    const names = encoding.classes ?? [];
    const k = names.length;
    for (let r = 0; r < rows.rows; r++) {
      const p = out.subarray(r * k, (r + 1) * k);
      let best = 0;
      for (let c = 1; c < k; c++) if (p[c] > p[best]) best = c;
      const row: RowPrediction = {
        line: raw.lines[r],
        prediction: names[best],
        probabilities: Object.fromEntries(names.map((n, c) => [n, p[c]])),
      };
      if (scored) {
        row.label = names[rows.y[r]];
        if (rows.y[r] === best) correct++;
      }
      predictions.push(row);
    }
  } else {
    const { mean, scale } = meta.target as { mean: number; scale: number };
    for (let r = 0; r < rows.rows; r++) {
      const value = out[r] * scale + mean;
      const row: RowPrediction = { line: raw.lines[r], prediction: value };
      if (scored) {
        row.label = rows.y[r];
        squared += (value - rows.y[r]) ** 2;
      }
      predictions.push(row);
    }
  }
  const n = Math.max(rows.rows, 1);
  return {
    checkpoint: args.checkpoint,
    source: csv,
    task: encoding.task,
    rows: predictions,
    ...(scored && encoding.task === 'classification' ? { accuracy: correct / n } : {}),
    ...(scored && encoding.task === 'regression' ? { rmse: Math.sqrt(squared / n) } : {}),
  };
}

/**
 * The checkpoint's network, loaded, applied by `forward` (inside `tidy` and
 * `noGrad`); its output as plain numbers. The network and every tensor are
 * freed, whether scoring succeeds or throws.
 */
async function scoreWith(
  checkpoint: string,
  spec: ModelSpec,
  forward: (model: Module) => Tensor,
): Promise<Float32Array> {
  const model = await loadedModel(checkpoint, spec);
  try {
    const result = tidy(() => noGrad(() => forward(model)));
    try {
      return Float32Array.from(result.dataSync() as Float32Array);
    } finally {
      result.dispose();
    }
  } finally {
    model.dispose();
  }
}

async function predictImages(
  args: PredictArgs,
  dir: string,
  spec: ModelSpec,
  nerve: string | undefined,
): Promise<PredictResult> {
  const meta = imageMeta(args.checkpoint, nerve);
  if (meta.classes.length !== spec.classes) {
    throw NerveError.raw(
      OP,
      `checkpoint '${args.checkpoint}' names ${meta.classes.length} classes for ${spec.classes} outputs`,
    );
  }
  const imgs = loadImages(dir, { size: meta.size, channels: meta.channels });
  const scaler = scalerOf(meta.standardize);
  const n = imgs.files.length;
  const out = await scoreWith(args.checkpoint, spec, (model) => {
    const x = tensor(imgs.x, { shape: [n, ...spec.inputShape] });
    return softmax(model.forward(scaler.transform(x)), -1);
  });
  const k = meta.classes.length;
  const rows: RowPrediction[] = imgs.files.map((file, r) => {
    const p = out.subarray(r * k, (r + 1) * k);
    let best = 0;
    for (let c = 1; c < k; c++) if (p[c] > p[best]) best = c;
    return {
      file,
      prediction: meta.classes[best],
      probabilities: Object.fromEntries(meta.classes.map((name, c) => [name, p[c]])),
    };
  });
  return { checkpoint: args.checkpoint, source: dir, task: 'classification', rows };
}

/** The human-readable predictions: one line a row, the `top` classes with their probabilities. */
export function formatPredict(r: PredictResult, top: number): string {
  const lines = r.rows.map((row) => {
    const label = row.label === undefined ? '' : `  (label ${fmt(row.label)})`;
    const where = row.file ?? `line ${row.line}`;
    if (row.probabilities === undefined) return `${where}: ${fmt(row.prediction)}${label}`;
    const ranked = Object.entries(row.probabilities)
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, p]) => `${name} ${(100 * p).toFixed(1)}%`);
    return `${where}: ${row.prediction}  [${ranked.join(', ')}]${label}`;
  });
  if (r.accuracy !== undefined) {
    lines.push(`accuracy ${(100 * r.accuracy).toFixed(2)}% on ${r.rows.length} labelled rows`);
  }
  if (r.rmse !== undefined) lines.push(`RMSE ${r.rmse.toPrecision(4)} on ${r.rows.length} rows`);
  return lines.join('\n');
}

function fmt(v: string | number): string {
  return typeof v === 'number' ? String(Number(v.toPrecision(6))) : v;
}
