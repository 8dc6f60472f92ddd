/**
 * `nerve eval --checkpoint file.safetensors`: rebuilds the network from the
 * spec stored in the checkpoint, loads the weights and reports test accuracy.
 * The spec is checked against the tensors the file's header declares (names,
 * shapes, dtypes; the header itself against the file's size) before anything
 * is built, so no allocation follows metadata that the file's bytes do not
 * back. A bad checkpoint is a runtime error (NerveError), not a usage error.
 */
import { NerveError, type Tensor, type TypedArray, tensor, tidy } from '@nerve/core';
import { DataLoader, TensorDataset, encodeTable, loadImageFolder, loadTable } from '@nerve/data';
import {
  type Module,
  type SafetensorsHeader,
  crossEntropy,
  mseLoss,
  readSafetensorsHeader,
} from '@nerve/layers';
import { evaluate, loadCheckpoint } from '@nerve/train';
import { ACTIVATIONS, DATASETS, type EvalArgs, INITS, MODELS } from './args.js';
import { prepareData } from './datasets.js';
import { type ModelSpec, buildModel, expectedState } from './models.js';
import { imageMeta, loadedModel, scalerOf, tableMeta } from './checkpoint-meta.js';

const OP = 'nerve eval';
type Dataset = (typeof DATASETS)[number];

const isPositive = (x: unknown) => Number.isSafeInteger(x) && (x as number) > 0;
const oneOf = (list: readonly string[], x: unknown) => typeof x === 'string' && list.includes(x);
const own = (o: Record<string, unknown>, k: string) => (Object.hasOwn(o, k) ? o[k] : undefined);

/** The spec and data set a checkpoint's `nerve` metadata describes, every field checked. */
export function parseSpec(
  path: string,
  text: string | undefined,
): {
  spec: ModelSpec;
  dataset: Dataset | 'table' | 'images';
  limit?: number;
  trainExamples?: number;
} {
  const bad = (what: string) =>
    NerveError.raw(OP, `checkpoint '${path}' has an invalid nerve model description: ${what}`);
  if (text === undefined) {
    throw NerveError.raw(
      OP,
      `checkpoint '${path}' has no nerve model description (was it written by nerve train --out?)`,
    );
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw bad('not an object');
  const m = meta as Record<string, unknown>;
  const s = own(m, 'spec') as Record<string, unknown> | undefined;
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw bad("no 'spec' object");
  const problems: string[] = [];
  const dataset = own(m, 'dataset');
  // 'table': trained on the user's own CSV (nerve train --csv), described under `table`.
  if (!oneOf([...DATASETS, 'table', 'images'], dataset)) {
    problems.push(
      `dataset ${JSON.stringify(dataset)} is not one of ${DATASETS.join(', ')}, table, images`,
    );
  }
  const kind = own(s, 'kind');
  if (!oneOf(MODELS, kind))
    problems.push(`kind ${JSON.stringify(kind)} is not one of ${MODELS.join(', ')}`);
  const inputShape = own(s, 'inputShape');
  const dims = kind === 'mlp' ? [1, 2, 3] : [3];
  if (
    !Array.isArray(inputShape) ||
    !dims.includes(inputShape.length) ||
    !inputShape.every(isPositive)
  ) {
    problems.push(
      `inputShape ${JSON.stringify(inputShape)} is not ${dims.join(' or ')} positive integers`,
    );
  }
  const hidden = own(s, 'hidden');
  if (!Array.isArray(hidden) || !hidden.every(isPositive)) {
    problems.push(`hidden ${JSON.stringify(hidden)} is not a list of positive integers`);
  }
  if (!isPositive(own(s, 'classes'))) problems.push('classes is not a positive integer');
  if (!oneOf(ACTIVATIONS, own(s, 'activation'))) {
    problems.push(
      `activation ${JSON.stringify(own(s, 'activation'))} is not one of ${ACTIVATIONS.join(', ')}`,
    );
  }
  if (kind !== 'mlp' && own(s, 'activation') === 'maxout') problems.push('maxout needs kind mlp');
  if (typeof own(s, 'batchnorm') !== 'boolean') problems.push('batchnorm is not a boolean');
  // Absent in checkpoints written before --dropout existed: no dropout.
  const dropout = own(s, 'dropout');
  if (dropout !== undefined && !(typeof dropout === 'number' && dropout >= 0 && dropout < 1)) {
    problems.push(`dropout ${JSON.stringify(dropout)} is not a probability in [0, 1)`);
  }
  if (!oneOf(INITS, own(s, 'init')))
    problems.push(`init ${JSON.stringify(own(s, 'init'))} is not one of ${INITS.join(', ')}`);
  const seed = own(s, 'seed');
  if (!Number.isSafeInteger(seed) || (seed as number) < 0)
    problems.push('seed is not a non-negative integer');
  // Which training examples the standardization saw (absent: the whole training split).
  const picked: { limit?: number; trainExamples?: number } = {};
  for (const k of ['limit', 'trainExamples'] as const) {
    const v = own(m, k);
    if (v === undefined) continue;
    if (isPositive(v)) picked[k] = v as number;
    else problems.push(`${k} ${JSON.stringify(v)} is not a positive integer`);
  }
  if (problems.length > 0) throw bad(problems.join('; '));
  const spec: ModelSpec = {
    kind: kind as ModelSpec['kind'],
    inputShape: [...(inputShape as number[])],
    classes: own(s, 'classes') as number,
    hidden: [...(hidden as number[])],
    activation: own(s, 'activation') as string,
    batchnorm: own(s, 'batchnorm') as boolean,
    ...(dropout === undefined ? {} : { dropout: dropout as number }),
    init: own(s, 'init') as string,
    seed: seed as number,
  };
  return { spec, dataset: dataset as Dataset | 'table' | 'images', ...picked };
}

const NERVE_DTYPE: Record<string, string> = {
  F64: 'float32',
  F32: 'float32',
  F16: 'float32',
  BF16: 'float32',
  I64: 'int32',
  I32: 'int32',
  I16: 'int32',
  I8: 'int32',
  U8: 'int32',
  BOOL: 'bool',
};

/** Checks the tensors the header declares against the spec's state dict, without building it. */
export function checkTensors(path: string, spec: ModelSpec, header: SafetensorsHeader): void {
  const expected = expectedState(spec);
  const problems: string[] = [];
  const declared = new Map(header.entries.map((e) => [e.name, e]));
  for (const [name, want] of expected) {
    const e = declared.get(name);
    if (!e) problems.push(`missing '${name}' [${want.shape.join(',')}]`);
    else if (e.shape.join() !== want.shape.join() || NERVE_DTYPE[e.dtype] !== want.dtype) {
      problems.push(
        `'${name}' is ${e.dtype} [${e.shape.join(',')}] where the description needs ${want.dtype} [${want.shape.join(',')}]`,
      );
    }
  }
  for (const name of declared.keys())
    if (!expected.has(name)) problems.push(`unexpected '${name}'`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 8).join('; ');
    const more = problems.length > 8 ? `; … and ${problems.length - 8} more` : '';
    throw NerveError.raw(
      OP,
      `checkpoint '${path}' does not hold the network its description names (nothing was built): ${shown}${more}`,
    );
  }
}

/** What `nerve eval` measured. */
export interface EvalResult {
  /** Classification accuracy (NaN for regression). */
  testAccuracy: number;
  /** Mean cross-entropy, or for regression the MSE of the target's z-scores (as training). */
  testLoss: number;
  /** Regression: the RMSE in the target's units. */
  testRmse?: number;
  dataset: string;
  count: number;
}

/**
 * Scores labelled data of the user's own (--csv rows or an --images folder)
 * with the checkpoint's preparation, as nerve predict applies it: the same
 * encoding, size, channels and training-part standardization.
 */
async function evalOwnData(
  args: EvalArgs,
  spec: ModelSpec,
  trainedOn: string,
  nerve: string | undefined,
): Promise<EvalResult> {
  const wants = args.csv !== undefined ? 'table' : 'images';
  if (trainedOn !== wants) {
    throw NerveError.raw(
      OP,
      `checkpoint '${args.checkpoint}' was trained on ${trainedOn === 'table' ? 'a table (--csv)' : trainedOn === 'images' ? 'images (--images)' : `the built-in ${trainedOn}`}; it cannot score ${wants === 'table' ? '--csv' : '--images'}`,
    );
  }
  let regression = false;
  let target: { mean: number; scale: number } | undefined;
  // The tensors made here are freed in `finally`, whether scoring succeeds or throws.
  const owned: { dispose(): void }[] = [];
  try {
    let x: Tensor;
    let y: Tensor;
    if (args.csv !== undefined) {
      const meta = tableMeta(args.checkpoint, nerve, OP);
      const raw = loadTable(
        args.csv,
        args.delimiter === undefined ? {} : { delimiter: args.delimiter },
      );
      // Every row must have its label: scoring needs it (encodeTable names a missing column).
      const rows = encodeTable(raw, meta.encoding, undefined, { labels: true });
      regression = meta.encoding.task === 'regression';
      target = meta.target;
      x = standardized(meta.standardize, rows.x, [rows.rows, rows.features]);
      owned.push(x);
      y = regression
        ? tensor(
            Float32Array.from(rows.y, (v) => (v - (target?.mean ?? 0)) / (target?.scale ?? 1)),
            { shape: [rows.rows, 1] },
          )
        : tensor(Int32Array.from(rows.y));
      owned.push(y);
    } else {
      const meta = imageMeta(args.checkpoint, nerve, OP);
      const dir = args.images as string;
      const f = loadImageFolder(dir, { size: meta.size, channels: meta.channels });
      // The folder's subfolders by name onto the checkpoint's class order.
      const unknown = f.classes.filter((c) => !meta.classes.includes(c));
      if (unknown.length > 0) {
        throw NerveError.raw(
          OP,
          `${dir} has classes the checkpoint does not know: ${unknown.join(', ')} (it knows ${meta.classes.join(', ')})`,
        );
      }
      const labels = Int32Array.from(f.y, (i) => meta.classes.indexOf(f.classes[i]));
      x = standardized(meta.standardize, f.x, [f.shape[0], ...spec.inputShape]);
      owned.push(x);
      y = tensor(labels);
      owned.push(y);
    }
    const model = await loadedModel(args.checkpoint, spec);
    owned.push(model);
    const r = await evaluate(model, new DataLoader(new TensorDataset(x, y), { batchSize: 256 }), {
      loss: regression ? (out, t) => mseLoss(out, t) : (out, t) => crossEntropy(out, t),
      accuracy: !regression,
    });
    return {
      testAccuracy: regression ? Number.NaN : r.accuracy,
      testLoss: r.loss,
      ...(regression && target ? { testRmse: Math.sqrt(r.loss) * target.scale } : {}),
      dataset: args.csv ?? (args.images as string),
      count: r.count,
    };
  } finally {
    for (const o of owned) o.dispose();
  }
}

/** `values` as a tensor of `shape`, standardized as training did (the raw tensor is freed). */
function standardized(
  s: Parameters<typeof scalerOf>[0],
  values: TypedArray,
  shape: number[],
): Tensor {
  return tidy(() => scalerOf(s).transform(tensor(values, { shape })));
}

export async function runEval(args: EvalArgs): Promise<EvalResult> {
  // Bounded: reads at most the 8-byte length and the (capped) header.
  const header = await readSafetensorsHeader(args.checkpoint);
  const nerve = Object.hasOwn(header.metadata, 'nerve') ? header.metadata.nerve : undefined;
  const { spec, dataset, limit, trainExamples } = parseSpec(args.checkpoint, nerve);
  checkTensors(args.checkpoint, spec, header);
  if (args.csv !== undefined || args.images !== undefined) {
    return evalOwnData(args, spec, dataset, nerve);
  }
  if ((dataset === 'table' || dataset === 'images') && args.dataset === undefined) {
    const what =
      dataset === 'table'
        ? 'a table of your own: score it with nerve eval --checkpoint CKPT --csv FILE (a file with the label column), or nerve predict --checkpoint CKPT --csv FILE'
        : 'images of your own: score them with nerve eval --checkpoint CKPT --images DIR (one subfolder per class), or nerve predict --checkpoint CKPT --images DIR';
    throw NerveError.raw(OP, `checkpoint '${args.checkpoint}' was trained on ${what}`);
  }
  const ds = args.dataset ?? (dataset as Dataset);
  const data = prepareData(ds, {
    image: spec.kind === 'cnn',
    dataDir: args.dataDir,
    limit,
    trainExamples,
  });
  // The splits and the model are freed on every path (the result holds numbers only).
  let model: Module | undefined;
  try {
    if (data.inputShape.join() !== spec.inputShape.join() || data.classes !== spec.classes) {
      throw NerveError.raw(
        OP,
        `checkpoint '${args.checkpoint}' expects inputs of shape [${spec.inputShape.join(',')}] in ${spec.classes} classes, but ${ds} gives [${data.inputShape.join(',')}] in ${data.classes}`,
      );
    }
    model = buildModel(spec);
    await loadCheckpoint(args.checkpoint, model);
    const r = await evaluate(model, new DataLoader(data.test, { batchSize: 512 }), {
      loss: (out, y) => crossEntropy(out, y),
    });
    return { testAccuracy: r.accuracy, testLoss: r.loss, dataset: ds, count: r.count };
  } finally {
    model?.dispose();
    data.train.dispose();
    data.val.dispose();
    data.test.dispose();
  }
}
