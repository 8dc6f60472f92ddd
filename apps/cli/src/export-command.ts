/**
 * `nerve export --checkpoint m.safetensors --onnx m.onnx`: the network a
 * checkpoint holds, rebuilt as `nerve eval` rebuilds it (its description
 * checked against the file's tensors first), written as an ONNX model. The
 * training run's input standardization is folded into the graph, so the
 * model takes the same raw inputs nerve train read.
 */
import { NerveError } from '@nerve/core';
import type { PreprocessorState } from '@nerve/data';
import { type Module, type SafetensorsHeader, load, readSafetensorsHeader } from '@nerve/layers';
import { type ImageClassifier, mobilenetV2, resnet18, resnet34 } from '@nerve/models';
import { type OnnxStandardize, exportOnnx } from '@nerve/onnx';
import { loadCheckpoint } from '@nerve/train';
import { type ImageMeta, type TableMeta, prepareData } from './datasets.js';
import { checkTensors, parseSpec } from './eval-command.js';
import { UsageError, parseCommand } from './flags.js';
import { EXPORT, type PRETRAINED_MODELS } from './flags-export.js';
import { buildModel } from './models.js';
import { checkWritable } from './out-path.js';
import { writeBytesAtomic } from './write-file.js';

const OP = 'nerve export';

export interface ExportArgs {
  checkpoint: string;
  onnx: string;
  opset: number;
  /** A @nerve/models network for a state dict without a nerve description. */
  model?: (typeof PRETRAINED_MODELS)[number];
  /** With `model`: the input images' height and width. */
  size: number;
  /** With `model`: fold torchvision's ImageNet normalization into the graph. */
  imagenetNormalize: boolean;
  dataDir?: string;
  json: boolean;
}

export function parseExportArgs(argv: string[]): ExportArgs {
  const v = parseCommand(EXPORT, argv);
  for (const [flag, what] of [
    ['checkpoint', 'a path to a .safetensors file written by nerve train --out'],
    ['onnx', 'a path for the ONNX model, e.g. model.onnx'],
  ] as const) {
    if (!v[flag]) throw new UsageError(`--${flag}: expected ${what}`, 'export');
  }
  const dataDir = v['data-dir'] as string | undefined;
  const model = v.model as ExportArgs['model'] | undefined;
  if (v['imagenet-normalize'] === true && model === undefined) {
    throw new UsageError('--imagenet-normalize: only with --model NAME', 'export');
  }
  return {
    checkpoint: v.checkpoint as string,
    onnx: v.onnx as string,
    opset: v.opset as number,
    ...(model === undefined ? {} : { model }),
    size: v.size as number,
    imagenetNormalize: v['imagenet-normalize'] === true,
    ...(dataDir === undefined ? {} : { dataDir }),
    json: v.json === true,
  };
}

/** What `nerve export` wrote. */
export interface ExportResult {
  checkpoint: string;
  onnx: string;
  bytes: number;
  opset: number;
  /** The graph's input and output shapes ('batch' is dynamic). */
  input: (number | string)[];
  output: (number | string)[];
  /** Where the folded standardization came from. */
  standardization: 'checkpoint' | 'refitted' | 'imagenet' | 'none';
  /** Class names of the outputs, when the checkpoint has them. */
  classes?: string[];
  /**
   * Regression: the training targets' mean and scale, whose inverse
   * standardization (y · scale + mean) ends the graph, so it outputs what
   * `nerve predict` prints, in the target's units.
   */
  target?: { mean: number; scale: number };
}

/** The standardization folded into the graph, where it came from, and the outputs' class names. */
interface Folded {
  standardize?: OnnxStandardize;
  source: ExportResult['standardization'];
  classes?: string[];
  /** A regression target's standardization, undone at the graph's output. */
  target?: { mean: number; scale: number };
}

/**
 * Exports `model` for inputs [batch, ...input] and `classes` outputs to
 * args.onnx, with `folded`'s standardization, and says what was written.
 */
async function writeOnnx(
  args: ExportArgs,
  model: Module,
  input: readonly number[],
  classes: number,
  folded: Folded,
  metadata?: Record<string, string>,
): Promise<ExportResult> {
  const bytes = await exportOnnx(model, {
    inputShape: [1, ...input],
    opset: args.opset,
    ...(metadata ? { metadata } : {}),
    ...(folded.standardize ? { standardize: folded.standardize } : {}),
    ...(folded.target
      ? { destandardize: { mean: [folded.target.mean], scale: [folded.target.scale] } }
      : {}),
  });
  writeBytesAtomic('onnx', args.onnx, bytes);
  return {
    checkpoint: args.checkpoint,
    onnx: args.onnx,
    bytes: bytes.length,
    opset: args.opset,
    input: ['batch', ...input],
    output: ['batch', classes],
    standardization: folded.source,
    ...(folded.classes ? { classes: folded.classes } : {}),
    ...(folded.target ? { target: folded.target } : {}),
  };
}

/** The standardization a checkpoint's run applied, as plain arrays. */
function standardizationOf(
  args: ExportArgs,
  nerve: string | undefined,
  parsed: ReturnType<typeof parseSpec>,
): Folded {
  const meta = JSON.parse(nerve ?? '{}') as { table?: TableMeta; images?: ImageMeta };
  const { spec, dataset, limit, trainExamples } = parsed;
  const kept = dataset === 'table' ? meta.table : dataset === 'images' ? meta.images : undefined;
  if (dataset === 'table' || dataset === 'images') {
    const s = kept?.standardize;
    if (!s || !Array.isArray(s.mean) || !Array.isArray(s.scale)) {
      throw NerveError.raw(
        OP,
        `checkpoint '${args.checkpoint}' has no valid input standardization`,
      );
    }
    const classes = dataset === 'table' ? meta.table?.encoding?.classes : meta.images?.classes;
    const target = dataset === 'table' ? targetOf(args, meta.table) : undefined;
    return {
      standardize: { mean: s.mean, scale: s.scale },
      source: 'checkpoint',
      ...(classes ? { classes } : {}),
      ...(target ? { target } : {}),
    };
  }
  // The built-in sets: refitted on the same training examples, as nerve eval does.
  const data = prepareData(dataset, {
    image: spec.kind === 'cnn',
    dataDir: args.dataDir,
    limit,
    trainExamples,
  });
  for (const part of [data.train, data.val, data.test]) part.dispose();
  const st = (data as { standardize?: PreprocessorState }).standardize;
  if (!st) return { source: 'none' };
  return {
    standardize: { mean: st.mean as Float32Array, scale: st.scale as Float32Array },
    source: 'refitted',
  };
}

/**
 * A regression table's target standardization (nerve predict's
 * `value = output · scale + mean`); undefined for classification.
 */
function targetOf(
  args: ExportArgs,
  table: TableMeta | undefined,
): { mean: number; scale: number } | undefined {
  if (table?.encoding?.task !== 'regression') return undefined;
  const t = table.target;
  if (!t || !Number.isFinite(t.mean) || !Number.isFinite(t.scale) || t.scale === 0) {
    throw NerveError.raw(
      OP,
      `checkpoint '${args.checkpoint}' has no valid regression target scale`,
    );
  }
  return { mean: t.mean, scale: t.scale };
}

/** torchvision's ImageNet normalization of RGB in [0, 1] (transforms.Normalize in its weights' recipes). */
export const IMAGENET = { mean: [0.485, 0.456, 0.406], scale: [0.229, 0.224, 0.225] };

/** The networks of @nerve/models by name, with the state-dict entry that gives their classes. */
const ZOO: Record<
  (typeof PRETRAINED_MODELS)[number],
  { build: (numClasses: number) => ImageClassifier; head: string }
> = {
  resnet18: { build: (numClasses) => resnet18({ numClasses }), head: 'fc.weight' },
  resnet34: { build: (numClasses) => resnet34({ numClasses }), head: 'fc.weight' },
  mobilenetV2: { build: (numClasses) => mobilenetV2({ numClasses }), head: 'classifier.1.weight' },
};

/** A @nerve/models network from a torchvision-named state dict, loaded strictly. */
async function pretrained(
  args: ExportArgs,
  header: SafetensorsHeader,
): Promise<{ model: Module; classes: number }> {
  const { build, head } = ZOO[args.model as keyof typeof ZOO];
  const entry = header.entries.find((e) => e.name === head);
  if (!entry || entry.shape.length !== 2) {
    throw NerveError.raw(
      OP,
      `checkpoint '${args.checkpoint}' has no '${head}' [classes, features]: it does not hold a ${args.model}`,
    );
  }
  const model = build(entry.shape[0]);
  try {
    await load(model, args.checkpoint);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, classes: entry.shape[0] };
}

export async function runExport(args: ExportArgs): Promise<ExportResult> {
  // The output path first, so a run that cannot write fails before any work.
  checkWritable('onnx', args.onnx);
  const header = await readSafetensorsHeader(args.checkpoint);
  if (args.model) {
    const { model, classes } = await pretrained(args, header);
    try {
      const folded: Folded = args.imagenetNormalize
        ? { standardize: IMAGENET, source: 'imagenet' }
        : { source: 'none' };
      return await writeOnnx(args, model, [3, args.size, args.size], classes, folded);
    } finally {
      model.dispose();
    }
  }
  const nerve = Object.hasOwn(header.metadata, 'nerve') ? header.metadata.nerve : undefined;
  const parsed = parseSpec(args.checkpoint, nerve);
  const { spec } = parsed;
  checkTensors(args.checkpoint, spec, header);
  const folded = standardizationOf(args, nerve, parsed);
  const model = buildModel(spec);
  try {
    await loadCheckpoint(args.checkpoint, model);
    const metadata: Record<string, string> = { nerve: nerve ?? '{}' };
    if (folded.classes) metadata.classes = JSON.stringify(folded.classes);
    return await writeOnnx(args, model, spec.inputShape, spec.classes, folded, metadata);
  } finally {
    model.dispose();
  }
}

/** The human-readable summary. */
export function formatExport(r: ExportResult): string {
  const kb = (r.bytes / 1024).toFixed(1);
  const folded =
    r.standardization === 'none'
      ? 'inputs are used as given'
      : r.standardization === 'imagenet'
        ? "ImageNet's normalization is folded into the graph (inputs: RGB in [0, 1])"
        : `the input standardization (${r.standardization === 'checkpoint' ? "the checkpoint's" : 'refitted on the training split'}) is folded into the graph`;
  return [
    `wrote ${r.onnx} (${kb} KiB, ONNX opset ${r.opset})`,
    `input 'input' [${r.input.join(', ')}] → output 'output' [${r.output.join(', ')}] (${r.target ? "the target in its units: the graph undoes the training targets' standardization" : 'logits'}); ${folded}`,
    ...(r.classes ? [`classes: ${r.classes.join(', ')}`] : []),
  ].join('\n');
}
